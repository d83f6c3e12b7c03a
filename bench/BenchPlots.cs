using ScottPlot;

namespace Adapters.Bench;

/// <summary>The three PNG plots of a report (ScottPlot): latency vs batch size, overhead vs LoRA rank, throughput vs distinct adapters.</summary>
public static class BenchPlots
{
    public const string LatencyVsBatch = "latency_vs_batch.png";
    public const string OverheadVsRank = "overhead_vs_rank.png";
    public const string ThroughputVsAdapters = "throughput_vs_adapters.png";

    const int Width = 900, Height = 560;

    /// <summary>Writes the plots into <paramref name="folder"/> and returns their paths.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string folder)
    {
        return [LatencyPlot(report, Path.Combine(folder, LatencyVsBatch)), RankPlot(report, Path.Combine(folder, OverheadVsRank)), AdaptersPlot(report, Path.Combine(folder, ThroughputVsAdapters))];
    }

    /// <summary>Median decode step per variant, one line per variant measured at more than one batch size.</summary>
    static string LatencyPlot(BenchReport report, string path)
    {
        var plot = new Plot();
        foreach (var group in report.Variants.GroupBy(v => (v.Engine, v.Name)).Where(g => g.Count() > 1))
        {
            var points = group.OrderBy(v => v.Batch).ToList();
            var line = plot.Add.Scatter(points.Select(v => (double)v.Batch).ToArray(), points.Select(v => v.DecodeStep.P50Ms).ToArray());
            line.LegendText = group.Key.Engine == BenchEngines.Ours ? group.Key.Name : group.Key.Name + " (genai)";
        }
        Finish(plot, $"Decode step latency vs batch size ({report.Settings.Shape})", "batch size", "decode step p50 (ms)");
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Decode overhead (variant / base) against LoRA rank: rank 0 is the base itself.</summary>
    static string RankPlot(BenchReport report, string path)
    {
        var plot = new Plot();
        foreach (var engine in new[] { BenchEngines.Ours, BenchEngines.GenAi })
            foreach (int batch in report.Settings.BatchSizes)
            {
                var points = report.Variants.Where(v => v.Engine == engine && v.Batch == batch && v.Kind == BenchEngines.SwappableKind && v.DecodeOverhead is not null)
                    .OrderBy(v => v.LoraRank).Select(v => (X: (double)v.LoraRank, Y: v.DecodeOverhead!.Value)).ToList();
                if (points.Count == 0) continue;
                points.Insert(0, (0, 1));
                var line = plot.Add.Scatter(points.Select(p => p.X).ToArray(), points.Select(p => p.Y).ToArray());
                line.LegendText = $"{engine} swappable LoRA, batch {batch}";
            }
        var limit = plot.Add.HorizontalLine(BenchTargets.MaxLoraDecodeOverhead);
        limit.LinePattern = LinePattern.Dashed;
        limit.LegendText = "target for r=8";
        Finish(plot, "Decode overhead vs LoRA rank (all 7 projections)", "LoRA rank", "decode step p50 / base");
        plot.SavePng(path, Width, Height);
        return path;
    }

    /// <summary>Tokens/s of a full batch on the batched export against how many different adapters its rows use.</summary>
    static string AdaptersPlot(BenchReport report, string path)
    {
        var plot = new Plot();
        var points = report.Variants.Where(v => v.Kind == BenchEngines.BatchedKind).OrderBy(v => v.DistinctAdapters).ToList();
        if (points.Count > 0)
        {
            var line = plot.Add.Scatter(points.Select(v => (double)v.DistinctAdapters).ToArray(), points.Select(v => v.TokensPerSecond).ToArray());
            line.LegendText = $"batched export, batch {points[0].Batch}";
        }
        Finish(plot, "Throughput vs distinct adapters in one batch", "distinct adapters in the batch", "tokens/s");
        plot.SavePng(path, Width, Height);
        return path;
    }

    static void Finish(Plot plot, string title, string x, string y)
    {
        plot.Title(title);
        plot.XLabel(x);
        plot.YLabel(y);
        plot.ShowLegend(Alignment.UpperLeft);
    }
}
