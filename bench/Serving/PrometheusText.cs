using System.Globalization;

namespace Adapters.Bench.Serving;

/// <summary>Reads samples out of Prometheus' text exposition format (what /metrics answers).</summary>
public static class PrometheusText
{
    /// <summary>The sum of every sample of <paramref name="metric"/> (all label sets); 0 when it is absent.</summary>
    public static double Sum(string text, string metric) => Samples(text, metric).Sum(s => s.Value);

    /// <summary>Each sample of <paramref name="metric"/> as (label text without braces, value).</summary>
    public static IEnumerable<(string Labels, double Value)> Samples(string text, string metric)
    {
        foreach (string raw in text.Split('\n'))
        {
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#' || !line.StartsWith(metric, StringComparison.Ordinal)) continue;
            string rest = line[metric.Length..];
            string labels = "";
            if (rest.StartsWith('{'))
            {
                int close = rest.IndexOf('}');
                if (close < 0) continue;
                labels = rest[1..close];
                rest = rest[(close + 1)..];
            }
            else if (rest.Length == 0 || rest[0] != ' ') continue; // a longer name that merely starts the same
            string[] parts = rest.Trim().Split(' ');
            if (double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out double value)) yield return (labels, value);
        }
    }

    /// <summary>The value of label <paramref name="name"/> in a label text such as replica="http://a/",status="200".</summary>
    public static string? Label(string labels, string name)
    {
        string key = name + "=\"";
        int start = labels.IndexOf(key, StringComparison.Ordinal);
        if (start < 0) return null;
        start += key.Length;
        int end = labels.IndexOf('"', start);
        return end < 0 ? null : labels[start..end];
    }
}
