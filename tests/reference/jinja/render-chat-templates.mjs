// Reference renderings of the real chat templates, made with @huggingface/jinja, the JavaScript Jinja
// that transformers.js renders chat templates with. It is called exactly as transformers.js's
// apply_chat_template does: new Template(chat_template) (trim_blocks and lstrip_blocks on) and
// render({ messages, add_generation_prompt, tools, documents, ...special tokens, ...extra }), where
// tools and documents are null and a special token is passed only when the tokenizer has it.
//
// Run: cd tests/reference/jinja && npm ci && node render-chat-templates.mjs
// Reads ../../../../shared/models/tokenizers/{llama3,qwen3}/tokenizer_config.json (never copied into
// the repository) and conversations.json; writes renderings.json, which the C# tests compare with.
import { Template } from "@huggingface/jinja";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const tokenizers = join(here, "..", "..", "..", "..", "shared", "models", "tokenizers");
const jinjaVersion = JSON.parse(readFileSync(join(here, "node_modules", "@huggingface", "jinja", "package.json"), "utf8")).version;
const { conversations } = JSON.parse(readFileSync(join(here, "conversations.json"), "utf8"));

const tokenText = (token) => (token && typeof token === "object" ? token.content : token) ?? null;

const templates = [];
for (const name of ["llama3", "qwen3"]) {
  const path = join(tokenizers, name, "tokenizer_config.json");
  const bytes = readFileSync(path);
  const config = JSON.parse(bytes.toString("utf8"));
  const template = new Template(config.chat_template);
  const bos = tokenText(config.bos_token);
  const eos = tokenText(config.eos_token);
  const renderings = [];
  for (const conversation of conversations) {
    for (const addGenerationPrompt of [false, true]) {
      const variables = { messages: conversation.messages, add_generation_prompt: addGenerationPrompt, tools: null, documents: null };
      if (bos) variables.bos_token = bos;
      if (eos) variables.eos_token = eos;
      Object.assign(variables, conversation.extra ?? {});
      renderings.push({ conversation: conversation.name, add_generation_prompt: addGenerationPrompt, text: template.render(variables) });
    }
  }
  templates.push({
    name,
    tokenizer_config: `tokenizers/${name}/tokenizer_config.json`,
    tokenizer_config_sha256: createHash("sha256").update(bytes).digest("hex"),
    bos_token: bos,
    eos_token: eos,
    renderings,
  });
}

const output = { generator: `@huggingface/jinja ${jinjaVersion} via tests/reference/jinja/render-chat-templates.mjs`, templates };
writeFileSync(join(here, "renderings.json"), JSON.stringify(output, null, 2) + "\n");
console.log(`wrote renderings.json: ${templates.map((t) => `${t.name} ${t.renderings.length}`).join(", ")}`);
