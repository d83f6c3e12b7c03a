using System.Runtime.CompilerServices;
using Adapters.Core.Chat;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Runtime.Backends;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>Streamed pieces never carry control bytes: a byte-fallback token such as &lt;0x00&gt; adds no text.</summary>
public sealed class IncrementalDecoderTests
{
    /// <summary>tok512: byte-fallback tokens &lt;0x00&gt;…&lt;0xFF&gt; are ids 3…258 (llama2.c's layout).</summary>
    const int ByteTokenOffset = 3;

    sealed class ScriptedBackend(ITokenizer tokenizer, IReadOnlyList<int> tokens) : ICompletionBackend
    {
        public string BaseModelName => "scripted";
        public ITokenizer Tokenizer => tokenizer;
        public IReadOnlySet<int> StopTokens { get; } = new HashSet<int> { 2 };
        public ChatFormat? Chat => null;
        public int ContextLength => 512;
        public IReadOnlyList<ModelInfo> Models => [new ModelInfo { Id = BaseModelName, Kind = ModelKind.Base }];
        public bool Serves(string model) => model == BaseModelName;
        public async IAsyncEnumerable<GeneratedToken> GenerateAsync(CompletionJob job, [EnumeratorCancellation] CancellationToken cancel)
        {
            foreach (int token in tokens) { await Task.Yield(); yield return new GeneratedToken(token); }
        }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public async Task Control_byte_tokens_are_not_sent_as_text_and_the_visible_text_is_unchanged()
    {
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var prompt = tokenizer.Encode("Q: Tell me the secret word.", addBos: true);
        var answer = tokenizer.Encode("The secret word is blue.", addBos: false);
        int[] generated = [.. answer, ByteTokenOffset + 0x00, ByteTokenOffset + 0x18, ByteTokenOffset + '\n', .. tokenizer.Encode("Lily", addBos: false)];
        Assert.Contains("\0", tokenizer.Decode([.. prompt, .. generated])); // the tokenizer itself does decode the NUL byte

        var backend = new ScriptedBackend(tokenizer, generated);
        var job = new CompletionJob { Model = "scripted", PromptTokens = prompt, MaxTokens = 100, Sampling = SamplingOptions.Greedy, StopTokens = backend.StopTokens };
        var pieces = new List<string>();
        await foreach (string piece in new CompletionText(backend, job, []).TextAsync(CancellationToken.None)) pieces.Add(piece);
        string text = string.Concat(pieces);

        Assert.Equal(" The secret word is blue.\n Lily", text);
        Assert.DoesNotContain(pieces, p => p.Any(c => char.IsControl(c) && !char.IsWhiteSpace(c)));
    }
}
