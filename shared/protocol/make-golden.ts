// Regenerates golden.bin from GOLDEN_MESSAGES: `npx tsx shared/protocol/make-golden.ts` (only when WIRE_VERSION changes).
import { writeFileSync } from 'node:fs';
import { GOLDEN_MESSAGES } from './golden-messages.js';
import { encodeMessage } from './wire.js';

const parts = GOLDEN_MESSAGES.map(encodeMessage);
writeFileSync(new URL('./golden.bin', import.meta.url), Buffer.concat(parts));
