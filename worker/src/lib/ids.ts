const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";

let lastTime = 0;
let lastRandom: number[] = [];

/**
 * A prefixed, time-ordered id such as `con_01jd…`: 10 base32 characters of epoch milliseconds, then 12
 * random ones (60 bits). Within one millisecond in one isolate the random part is incremented, so ids
 * sort in creation order, which keyset pagination (created_at, id) relies on.
 */
export function newId(prefix: string): string {
  const now = Date.now();
  if (now === lastTime) {
    increment(lastRandom);
  } else {
    lastTime = now;
    lastRandom = Array.from(crypto.getRandomValues(new Uint8Array(12)), (b) => b & 31);
    lastRandom[0] = lastRandom[0]! & 15; // headroom so increments never wrap
  }
  let time = "";
  for (let t = now, i = 0; i < 10; i++, t = Math.floor(t / 32)) time = ALPHABET[t % 32] + time;
  return `${prefix}_${time}${lastRandom.map((d) => ALPHABET[d]).join("")}`;
}

function increment(digits: number[]): void {
  for (let i = digits.length - 1; i >= 0; i--) {
    if (digits[i]! < 31) {
      digits[i] = digits[i]! + 1;
      return;
    }
    digits[i] = 0;
  }
}
