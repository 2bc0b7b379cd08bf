// The device list's search folds what people type the way PostgreSQL folds the searched
// columns (generated search_text columns, migration 20261205150239_device_list): NFKC makes
// full-width "ｍａｃ" and half-width "ｶﾅ" plain, then hiragana become katakana, so "あいぱっど"
// finds "アイパッド". Case is left to ILIKE. Both sides must stay the same function.

const HIRAGANA_FIRST = 0x3041; // ぁ
const HIRAGANA_LAST = 0x3096; // ゖ
const ITERATION_MARKS = { "ゝ": "ヽ", "ゞ": "ヾ" } as Record<string, string>;
const KATAKANA_OFFSET = 0x60;

export function foldSearch(text: string): string {
  let out = "";
  for (const ch of text.normalize("NFKC")) {
    const c = ch.codePointAt(0)!;
    out += c >= HIRAGANA_FIRST && c <= HIRAGANA_LAST ? String.fromCodePoint(c + KATAKANA_OFFSET) : (ITERATION_MARKS[ch] ?? ch);
  }
  return out;
}
