using Adapters.Core.Exported;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.Model;

namespace Adapters.Export;

/// <summary>
/// genai_config.json for ONNX Runtime GenAI: model type (the family: llama, mistral, qwen2,
/// qwen3 — the names GenAI 0.18 knows), special tokens, the decoder's shape (head_size is the
/// model's head_dim, which Qwen3 sets apart from hidden / heads) and graph names, and greedy
/// search defaults.
/// </summary>
public static class GenAiConfig
{
    public static string ToJson(LlamaConfig config, LlamaExportOptions options)
    {
        var root = new JsonObject
        {
            ["model"] = new JsonObject
            {
                // GenAI's model type is the HF family (llama, mistral): same inputs and past/present per layer.
                ["type"] = config.Family,
                ["bos_token_id"] = options.BosTokenId,
                // A list when the tokenizer ends turns with more than EOS (GenAI accepts either form).
                ["eos_token_id"] = options.StopTokenIds.Count > 1 ? new JsonArray(options.StopTokenIds.Select(id => (JsonNode)id).ToArray()) : options.EosTokenId,
                ["pad_token_id"] = options.PadTokenId,
                ["context_length"] = config.MaxSeqLen,
                ["vocab_size"] = config.VocabSize,
                ["decoder"] = new JsonObject
                {
                    ["filename"] = ExportedModelFiles.ModelFileName,
                    ["head_size"] = config.HeadSize,
                    ["hidden_size"] = config.Dim,
                    ["num_attention_heads"] = config.NumHeads,
                    ["num_key_value_heads"] = config.NumKvHeads,
                    ["num_hidden_layers"] = config.NumLayers,
                    ["session_options"] = new JsonObject
                    {
                        ["log_id"] = "onnxruntime-genai",
                        // Without it GenAI ran at single-thread speed.
                        ["intra_op_num_threads"] = options.IntraOpThreads,
                        // 3 = error: adapter inputs have initializer defaults by design, and ONNX
                        // Runtime warns once per such input at load (our runtime does the same).
                        ["log_severity_level"] = 3,
                        ["provider_options"] = new JsonArray(),
                    },
                    ["inputs"] = new JsonObject
                    {
                        ["input_ids"] = DecoderIoNames.InputIds,
                        ["attention_mask"] = DecoderIoNames.AttentionMask,
                        ["position_ids"] = DecoderIoNames.PositionIds,
                        ["past_key_names"] = DecoderIoNames.PastKeyPattern,
                        ["past_value_names"] = DecoderIoNames.PastValuePattern,
                    },
                    ["outputs"] = new JsonObject
                    {
                        ["logits"] = DecoderIoNames.Logits,
                        ["present_key_names"] = DecoderIoNames.PresentKeyPattern,
                        ["present_value_names"] = DecoderIoNames.PresentValuePattern,
                    },
                },
            },
            ["search"] = new JsonObject
            {
                ["do_sample"] = false,
                ["max_length"] = config.MaxSeqLen,
                ["min_length"] = 0,
                ["num_beams"] = 1,
                ["num_return_sequences"] = 1,
                // A standard-op graph grows the cache by Concat, so present is a new buffer each step
                // (a shared buffer failed with a shape mismatch); GroupQueryAttention writes in place.
                ["past_present_share_buffer"] = options.Fusions?.GroupQueryAttention ?? false,
                ["repetition_penalty"] = 1.0,
                ["temperature"] = 1.0,
                ["top_k"] = 1,
                ["top_p"] = 1.0,
            },
        };
        return root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
