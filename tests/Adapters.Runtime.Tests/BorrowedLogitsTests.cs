using Adapters.Core.Generation;

namespace Adapters.Runtime.Tests;

/// <summary>
/// <see cref="OnnxBatchSession.ForwardBorrowed"/> gives what <see cref="OnnxBatchSession.Forward"/>
/// gives, in a reused buffer whose earlier views refuse to be read; and the session's reused mask
/// and input buffers keep rows exact through growth, resets and compaction.
/// </summary>
[Collection(Stories260KCollection.Name)]
public sealed class BorrowedLogitsTests(Stories260KExportFixture stories)
{
    static readonly int[] LongPrompt = [1, 403, 407, 261, 378];
    static readonly int[] ShortPrompt = [1, 300];

    [Fact]
    public void ForwardBorrowed_EqualsForward_AndEarlierLogitsGoStale()
    {
        using var owned = stories.Model.StartBatch(2);
        using var borrowed = stories.Model.StartBatch(2);
        IReadOnlyList<IReadOnlyList<int>> rows = [LongPrompt, ShortPrompt];
        BatchLogits? previous = null;
        for (int step = 0; step < 6; step++)
        {
            var expected = owned.Forward(rows);
            var actual = borrowed.ForwardBorrowed(rows);
            Assert.Equal(expected.Values.ToArray(), actual.Values.ToArray());
            if (previous is not null)
            {
                Assert.True(previous.IsStale);
                var e = Assert.Throws<InvalidOperationException>(() => previous.Last(0));
                Assert.Contains("ForwardBorrowed", e.Message);
                Assert.Throws<InvalidOperationException>(() => previous.Values.Length);
            }
            Assert.False(actual.IsStale);
            previous = actual;
            // step 2: row 1 sits out (a padding slot mid-cache); both rows otherwise decode greedily
            rows = [new[] { Sampler.ArgMax(actual.Last(0)) }, step == 2 ? [] : new[] { Sampler.ArgMax(actual.Last(1)) }];
            Assert.False(expected.IsStale);
        }
        var kept = owned.Forward(rows);
        borrowed.Dispose();
        Assert.True(previous!.IsStale);
        Assert.False(kept.IsStale);
        Assert.Equal(stories.Model.Config.VocabSize, kept.Last(1).Length);
    }

    [Fact]
    public void ResetRowsAndCompact_OverLongHistories_MatchFreshBatchOneSessions()
    {
        using var batch = stories.Model.StartBatch(2);
        var singles = new[] { stories.Model.StartSession(), stories.Model.StartSession() };
        try
        {
            IReadOnlyList<IReadOnlyList<int>> rows = [LongPrompt, ShortPrompt];
            int compacted = 0;
            for (int step = 0; step < 190; step++) // well past the first capacity (64 slots) of the mask and cache buffers
            {
                var logits = batch.ForwardBorrowed(rows);
                for (int r = 0; r < 2; r++)
                {
                    var single = singles[r].Forward(rows[r] as int[] ?? rows[r].ToArray());
                    TestRuntime.AssertClose(single.AsSpan(single.Length - stories.Model.Config.VocabSize), logits.Last(r), $"step {step}, row {r}");
                    Assert.Equal(singles[r].Position, batch.Position(r));
                }
                var next = new IReadOnlyList<int>[2];
                for (int r = 0; r < 2; r++) next[r] = new[] { Sampler.ArgMax(logits.Last(r)) };
                // row 1 restarts at step 130 and row 0 at step 150 (each with a prompt while the other decodes);
                // then the slots before row 1's restart are dead for both rows and compaction drops them
                // (most of the cache: its buffers shrink), and the cache grows again from there.
                if (step == 130) next[1] = Restart(batch, singles, 1, ShortPrompt);
                if (step == 150)
                {
                    next[0] = Restart(batch, singles, 0, LongPrompt);
                    compacted = batch.Compact();
                    Assert.Equal(0, batch.LeadingDeadSlots);
                }
                rows = next;
            }
            Assert.True(compacted > 100, $"compaction dropped {compacted} slots");
        }
        finally
        {
            foreach (var s in singles) s.Dispose();
        }
    }

    int[] Restart(OnnxBatchSession batch, OnnxDecoderSession[] singles, int row, int[] prompt)
    {
        batch.ResetRow(row);
        singles[row].Dispose();
        singles[row] = stories.Model.StartSession();
        return prompt;
    }
}
