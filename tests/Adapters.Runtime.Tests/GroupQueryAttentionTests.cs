using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.Onnx;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>
/// <c>export --fuse gqa</c>: attention as com.microsoft GroupQueryAttention with the KV cache written
/// in place. Every family's logits equal the independent reference, a batch of rows at different
/// lengths (rows joining one at a time, sitting steps out, restarting, the cache growing) gives each
/// row a single session's logits, and the steps the op cannot run together are refused by name.
/// </summary>
public sealed class GroupQueryAttentionTests
{
    static readonly int[] Prompt = [1, 5, 96, 40, 0, 13, 7, 7, 60, 2, 33, 81];

    public static readonly LlamaExportOptions GqaOptions = new() { IntraOpThreads = 2, Fusions = new DecoderFusions { GroupQueryAttention = true } };

    public static TheoryData<string> Families => [.. TinyFamilies.Names];

    /// <summary>The tiny Llama with a context long enough to make the in-place cache grow past its first 64 slots.</summary>
    static LlamaWeights LongContext() => TinyFamilies.Weights(TinyFamilies.Config(TinyFamilies.Llama3) with { MaxSeqLen = 160 });

    [Theory]
    [MemberData(nameof(Families))]
    public void Every_family_matches_the_reference_over_a_prefill_sixteen_decode_steps_and_a_second_prompt(string family)
    {
        var weights = TinyFamilies.Weights(family);
        using var export = new TempExport(weights, GqaOptions);
        Assert.Equal(ExportedAttention.GroupQuery, export.Manifest.Attention);
        using var model = export.Load();
        Assert.True(model.InPlaceKvCache);
        var reference = new ReferenceLlama(weights);
        int vocab = weights.Config.VocabSize;
        using var session = model.StartSession();

        float[] expected = [];
        void Feed(int[] tokens, string what)
        {
            float[] actual = session.Forward(tokens);
            for (int i = 0; i < tokens.Length; i++)
            {
                expected = reference.Step(tokens[i]);
                TestRuntime.AssertClose(expected, actual.AsSpan(i * vocab, vocab), $"{family} {what} token {i}");
            }
        }
        Feed(Prompt, "prefill");
        for (int step = 0; step < 16; step++) Feed([Sampler.ArgMax(expected)], $"decode step {step}");
        // A later multi-token forward on a session with a past (a chat turn appended).
        Feed([3, 50, 61, 9], "second prompt");
        Assert.Equal(Prompt.Length + 16 + 4, session.Position);
    }

    [Fact]
    public void Rows_at_different_lengths_joining_sitting_out_and_restarting_equal_single_sessions()
    {
        var weights = LongContext();
        using var export = new TempExport(weights, GqaOptions);
        using var model = export.Load();
        var reference = new ReferenceSessions(weights);
        int vocab = weights.Config.VocabSize;
        using var batch = model.StartBatch(3);
        Assert.False(batch.RunsMixedSteps);

        int[][] prompts = [[1, 7, 9], [1, 40, 41, 42, 43, 44, 45, 46, 47, 48], [1, 90]];
        var next = new int[3];
        void Prefill(int r)
        {
            var logits = batch.ForwardRow(r, prompts[r]);
            var expected = reference.Restart(r, prompts[r]);
            TestRuntime.AssertClose(expected, logits.Last(0), $"row {r} prefill");
            next[r] = Sampler.ArgMax(expected);
        }
        Prefill(0);
        Prefill(1);
        for (int step = 0; step < 140; step++)
        {
            if (step == 3) Prefill(2);                   // joins late, at position 0 of its row
            bool rowOneSitsOut = step % 5 == 2;          // decodes only every other step for a while
            if (step == 60) { batch.ResetRow(0); Prefill(0); } // a finished row's slot serves a new prompt
            var tokens = Enumerable.Range(0, 3).Select(r => r == 2 && step < 3 || r == 1 && rowOneSitsOut ? [] : (IReadOnlyList<int>)[next[r]]).ToArray();
            var logits = batch.ForwardBorrowed(tokens);
            for (int r = 0; r < 3; r++)
            {
                if (tokens[r].Count == 0) continue;
                var expected = reference.Step(r, next[r]);
                TestRuntime.AssertClose(expected, logits.Last(r), $"row {r}, step {step}, position {batch.Position(r) - 1}");
                next[r] = Sampler.ArgMax(expected);
            }
        }
        Assert.True(batch.Position(1) > 64, "the cache never grew past its first capacity");
    }

    [Fact]
    public void A_batch_that_starts_every_row_together_equals_single_sessions()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Qwen3);
        using var export = new TempExport(weights, GqaOptions);
        using var model = export.Load();
        var reference = new ReferenceSessions(weights);
        int[][] prompts = [[1, 5, 6, 7], [1, 50, 60, 70], [1, 2, 3, 4]];
        using var batch = model.StartBatch(3);
        var logits = batch.Forward(prompts);
        for (int r = 0; r < 3; r++)
        {
            var expected = reference.Restart(r, prompts[r]);
            TestRuntime.AssertClose(expected, logits.Last(r), $"row {r}");
        }
    }

    [Theory]
    [InlineData(16, true)]
    [InlineData(8, false)]
    public void The_default_export_uses_gqa_where_the_kernel_takes_the_head_size(int headSize, bool gqa)
    {
        var config = TinyFamilies.Config(TinyFamilies.Mistral) with { Dim = 4 * headSize };
        using var export = new TempExport(TinyFamilies.Weights(config));
        Assert.Equal(gqa ? ExportedAttention.GroupQuery : ExportedAttention.Standard, export.Manifest.Attention);
        Assert.Equal(gqa ? ["gqa"] : [], export.Manifest.Fusions);
    }

    [Fact]
    public void Steps_the_in_place_cache_cannot_run_together_are_refused_naming_the_way()
    {
        using var export = new TempExport(TinyFamilies.Weights(TinyFamilies.Mistral), GqaOptions);
        using var model = export.Load();
        using var batch = model.StartBatch(2);
        var unequal = Assert.Throws<ArgumentException>(() => batch.Forward([[1, 2, 3], [1, 2]]));
        Assert.Contains("same length", unequal.Message);
        Assert.Contains("ForwardRow", unequal.Message);
        batch.Forward([[1, 2], [1, 3]]);
        var joining = Assert.Throws<ArgumentException>(() => batch.Forward([[4, 5], []]));
        Assert.Contains("row 0 already holds 2 tokens", joining.Message);
        Assert.Contains("ForwardRow", joining.Message);
        // Nothing was committed by the refused calls.
        Assert.Equal(2, batch.Position(0));
        Assert.Equal(2, batch.Position(1));
    }

    [Fact]
    public void A_standard_export_runs_every_mix_of_rows_in_one_forward()
    {
        using var export = new TempExport(TinyFamilies.Weights(TinyFamilies.Mistral), new LlamaExportOptions { IntraOpThreads = 2, Fusions = DecoderFusions.None });
        using var model = export.Load();
        Assert.False(model.InPlaceKvCache);
        using var batch = model.StartBatch(2);
        Assert.True(batch.RunsMixedSteps);
        Assert.Throws<NotSupportedException>(() => batch.ForwardRow(0, [1, 2]));
    }

    /// <summary>One reference forward per row, restartable: what a batch-1 session of each row computes.</summary>
    sealed class ReferenceSessions(LlamaWeights weights)
    {
        readonly Dictionary<int, ReferenceLlama> _rows = [];

        public float[] Restart(int row, int[] prompt)
        {
            var reference = _rows[row] = new ReferenceLlama(weights);
            float[] last = [];
            foreach (int t in prompt) last = reference.Step(t);
            return last;
        }

        public float[] Step(int row, int token) => _rows[row].Step(token);
    }
}
