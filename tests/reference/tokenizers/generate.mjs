// Records Hugging Face Tokenizers.js (@huggingface/tokenizers, the JavaScript port of HF tokenizers)
// ids and decodings for every text of texts.json with the real tokenizer files in
// ../shared/models/tokenizers/{llama3,qwen3,mistral}. Run from this folder: npm install && node generate.mjs
// The outputs in expected/ are committed; the C# tests compare against them and never run node.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "@huggingface/tokenizers";

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, "..", "..", "..");
const tokenizersRoot = join(repoRoot, "..", "shared", "models", "tokenizers");
const version = JSON.parse(readFileSync(join(here, "node_modules", "@huggingface", "tokenizers", "package.json"), "utf8")).version;
const texts = JSON.parse(readFileSync(join(here, "texts.json"), "utf8")).texts;

// decode() refuses an empty array; the empty decoding is the empty string.
const decode = (tokenizer, ids, skip) => ids.length === 0 ? "" : tokenizer.decode(ids, { skip_special_tokens: skip });

mkdirSync(join(here, "expected"), { recursive: true });
for (const name of ["llama3", "qwen3", "mistral"]) {
  const folder = join(tokenizersRoot, name);
  const tokenizer = new Tokenizer(
    JSON.parse(readFileSync(join(folder, "tokenizer.json"), "utf8")),
    JSON.parse(readFileSync(join(folder, "tokenizer_config.json"), "utf8")));
  const cases = texts.map((text) => {
    const ids = tokenizer.encode(text, { add_special_tokens: true }).ids;
    const idsNoSpecial = tokenizer.encode(text, { add_special_tokens: false }).ids;
    return {
      text,
      ids,
      ids_no_special: idsNoSpecial,
      decoded: decode(tokenizer, ids, false),
      decoded_skip_special: decode(tokenizer, ids, true),
    };
  });
  const out = { tokenizer: name, reference: `@huggingface/tokenizers ${version}`, files: `../shared/models/tokenizers/${name}`, cases };
  writeFileSync(join(here, "expected", `${name}.json`), JSON.stringify(out, null, 1) + "\n");
  console.log(`${name}: ${cases.length} texts`);
}
