// Reference renderings of the real chat templates, made with @huggingface/jinja, the JavaScript Jinja
// that transformers.js renders chat templates with. It is called exactly as transformers.js's
// apply_chat_template does: new Template(chat_template) (trim_blocks and lstrip_blocks on) and
// render({ messages, add_generation_prompt, tools, documents, ...special tokens, ...extra }), where
// tools and documents are null and a special token is passed only when the tokenizer has it.
//
// Run: cd tests/reference/jinja && npm ci && node render-chat-templates.mjs
// Reads ../../../../shared/models/tokenizers/{llama3,qwen3}/tokenizer_config.json (never copied into
// the repository), simple-templates.json and conversations.json; writes renderings.json, which the C#
// tests compare with. A rendering that raises (raise_exception) is recorded as { error: message }.
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

const sources = ["llama3", "qwen3"].map((name) => {
  const bytes = readFileSync(join(tokenizers, name, "tokenizer_config.json"));
  return {
    name,
    config: JSON.parse(bytes.toString("utf8")),
    about: { tokenizer_config: `tokenizers/${name}/tokenizer_config.json`, tokenizer_config_sha256: createHash("sha256").update(bytes).digest("hex") },
  };
});
for (const simple of JSON.parse(readFileSync(join(here, "simple-templates.json"), "utf8")).templates)
  sources.push({ name: simple.name, config: simple, about: { source: "simple-templates.json" } });

const templates = [];
for (const { name, config, about } of sources) {
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
      const rendering = { conversation: conversation.name, add_generation_prompt: addGenerationPrompt };
      try {
        rendering.text = template.render(variables);
      } catch (e) {
        rendering.error = e.message;
      }
      renderings.push(rendering);
    }
  }
  templates.push({
    name,
    ...about,
    bos_token: bos,
    eos_token: eos,
    renderings,
  });
}

const output = { generator: `@huggingface/jinja ${jinjaVersion} via tests/reference/jinja/render-chat-templates.mjs`, templates };
writeFileSync(join(here, "renderings.json"), JSON.stringify(output, null, 2) + "\n");
console.log(`wrote renderings.json: ${templates.map((t) => `${t.name} ${t.renderings.length}`).join(", ")}`);
