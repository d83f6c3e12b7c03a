using Adapters.Core.Generation;

namespace Adapters.Runtime.Tests;

/// <summary>Rows decoded together give the logits each row gets alone.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class BatchForwardTests(Stories260KExportFixture stories)
{
    static readonly int[] LongPrompt = [1, 403, 407, 261, 378];
    static readonly int[] ShortPrompt = [1, 300];

    [Fact]
    public void BatchOfTwoEqualRows_EqualsTwoBatchOneRuns()
    {
        int[] other = [1, 261, 378, 407, 403];
        using var batch = stories.Model.StartBatch(2);
        var logits = batch.Forward([LongPrompt, other]);

        AssertRowsMatch(logits, 0, Single(LongPrompt));
        AssertRowsMatch(logits, 1, Single(other));
    }

    [Fact]
    public void BatchOfTwoLeftPaddedRows_PrefillAndDecode_EqualsTwoBatchOneRuns()
    {
        using var batch = stories.Model.StartBatch(2);
        using var first = stories.Model.StartSession();
        using var second = stories.Model.StartSession();

        // prefill: the short row is left-padded to the long one's length
        var logits = batch.Forward([LongPrompt, ShortPrompt]);
        TestRuntime.AssertClose(Last(first.Forward(LongPrompt)), logits.Last(0), "prefill, row 0");
        TestRuntime.AssertClose(Last(second.Forward(ShortPrompt)), logits.Last(1), "prefill, row 1 (padded)");

        for (int step = 0; step < 6; step++)
        {
            int a = Sampler.ArgMax(logits.Last(0)), b = Sampler.ArgMax(logits.Last(1));
            // at step 2 row 1 sits out, leaving a padding slot in the middle of its cache
            bool secondSitsOut = step == 2;
            logits = batch.Forward([new[] { a }, secondSitsOut ? [] : new[] { b }]);
            TestRuntime.AssertClose(first.Forward([a]), logits.Last(0), $"decode step {step}, row 0");
            if (!secondSitsOut) TestRuntime.AssertClose(second.Forward([b]), logits.Last(1), $"decode step {step}, row 1");
        }
        Assert.Equal(first.Position, batch.Position(0));
        Assert.Equal(second.Position, batch.Position(1));
    }

    [Fact]
    public void Forward_PastTheContext_IsRefusedNamingTheNumbers()
    {
        using var batch = stories.Model.StartBatch(1);
        var tooLong = new int[stories.Model.Config.MaxSeqLen + 1];
        var e = Assert.Throws<ArgumentException>(() => batch.Forward([tooLong]));
        Assert.Contains($"{stories.Model.Config.MaxSeqLen}", e.Message);
        Assert.Equal(0, batch.Position(0)); // nothing was consumed
    }

    float[] Single(int[] prompt)
    {
        using var session = stories.Model.StartSession();
        return session.Forward(prompt);
    }

    ReadOnlySpan<float> Last(float[] rows) => rows.AsSpan(rows.Length - stories.Model.Config.VocabSize);

    void AssertRowsMatch(BatchLogits logits, int row, float[] expected)
    {
        int vocab = stories.Model.Config.VocabSize;
        for (int t = 0; t < logits.Tokens; t++)
            TestRuntime.AssertClose(expected.AsSpan(t * vocab, vocab), logits.At(row, t), $"row {row}, token {t}");
    }
}
