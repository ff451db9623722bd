/**
 * GDB remote serial protocol framing: bytes on the wire to packets and back.
 *
 *   packet   $<payload>#<two hex digits: sum of the payload bytes mod 256>
 *   ack      '+' (good packet) / '-' (resend), until both sides agree on QStartNoAckMode
 *   interrupt a lone 0x03 byte (Ctrl-C) outside a packet
 *
 * The decoder is a small state machine fed arbitrary chunks. It never throws: bytes outside a
 * packet that mean nothing are skipped, a bad checksum is an event (the session answers '-'),
 * and a packet longer than MAX_PACKET is an event too (the session hangs up), so garbage can
 * cost neither a crash nor unbounded memory.
 *
 * Payloads stay as the raw bytes between '$' and '#': no request this server accepts carries
 * binary data (X, vFile:pwrite are refused), so nothing needs unescaping. Replies are escaped
 * only when binary (qXfer data): gdb undoes '}' escapes just for those, but expands '*'
 * run-lengths in every reply, so text replies must simply never contain '$', '#', '}' or '*'.
 */

export const MAX_PACKET = 0x20000; // what we advertise as PacketSize (hex 20000)

export type WireEvent =
  | { readonly kind: 'packet'; readonly payload: string }
  | { readonly kind: 'bad-checksum' }
  | { readonly kind: 'too-long' }
  | { readonly kind: 'ack' }
  | { readonly kind: 'nack' }
  | { readonly kind: 'interrupt' };

const DOLLAR = 0x24;
const HASH = 0x23;
const PLUS = 0x2b;
const MINUS = 0x2d;
const CTRL_C = 0x03;

/** Splits a byte stream into wire events. */
export class PacketDecoder {
  private state: 'idle' | 'body' | 'sum1' | 'sum2' = 'idle';
  private body: number[] = [];
  private sum = 0;
  private sumText = '';

  feed(chunk: Uint8Array): WireEvent[] {
    const out: WireEvent[] = [];
    for (const b of chunk) {
      switch (this.state) {
        case 'idle':
          if (b === DOLLAR) this.start();
          else if (b === PLUS) out.push({ kind: 'ack' });
          else if (b === MINUS) out.push({ kind: 'nack' });
          else if (b === CTRL_C) out.push({ kind: 'interrupt' });
          break; // anything else between packets is noise
        case 'body':
          if (b === HASH) this.state = 'sum1';
          else if (b === DOLLAR) this.start(); // a new packet before the old one ended: drop the old
          else if (this.body.length >= MAX_PACKET) {
            this.state = 'idle';
            this.body = [];
            out.push({ kind: 'too-long' });
          } else {
            this.body.push(b);
            this.sum = (this.sum + b) & 0xff;
          }
          break;
        case 'sum1':
          this.sumText = String.fromCharCode(b);
          this.state = 'sum2';
          break;
        case 'sum2': {
          this.sumText += String.fromCharCode(b);
          this.state = 'idle';
          const ok = /^[0-9a-fA-F]{2}$/.test(this.sumText) && parseInt(this.sumText, 16) === this.sum;
          out.push(ok ? { kind: 'packet', payload: Buffer.from(this.body).toString('latin1') } : { kind: 'bad-checksum' });
          this.body = [];
          break;
        }
      }
    }
    return out;
  }

  private start(): void {
    this.state = 'body';
    this.body = [];
    this.sum = 0;
  }
}

function checksum(bytes: Uint8Array): string {
  let s = 0;
  for (const b of bytes) s = (s + b) & 0xff;
  return s.toString(16).padStart(2, '0');
}

/** Frames a text reply. Throws if it holds a byte gdb would misread (a bug in the caller). */
export function encodePacket(payload: string): Buffer {
  if (/[$#}*]/.test(payload)) throw new Error(`reply holds a reserved character: ${JSON.stringify(payload.slice(0, 40))}`);
  const body = Buffer.from(payload, 'latin1');
  return Buffer.concat([Buffer.from('$'), body, Buffer.from('#' + checksum(body))]);
}

/** Frames a binary reply (a qXfer chunk): '$', '#', '}' and '*' are escaped as '}' then byte ^ 0x20. */
export function encodeBinaryPacket(prefix: string, data: Uint8Array): Buffer {
  const body: number[] = [...Buffer.from(prefix, 'latin1')];
  for (const b of data) {
    if (b === DOLLAR || b === HASH || b === 0x7d || b === 0x2a) body.push(0x7d, b ^ 0x20);
    else body.push(b);
  }
  const bytes = Uint8Array.from(body);
  return Buffer.concat([Buffer.from('$'), bytes, Buffer.from('#' + checksum(bytes))]);
}

export const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new RangeError(`not hex: ${JSON.stringify(s.slice(0, 40))}`);
  return Uint8Array.from(Buffer.from(s, 'hex'));
}

/** A hex number as the protocol writes them (no 0x); throws RangeError on anything else. */
export function parseHexNumber(s: string, what: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(s)) throw new RangeError(`bad ${what}: ${JSON.stringify(s.slice(0, 40))}`);
  return BigInt('0x' + s);
}

/** Little-endian bytes of an unsigned value, `size` bytes long. */
export function leBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = Number((v >> BigInt(8 * i)) & 0xffn);
  return out;
}
