using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Compression;

/// <summary>
/// Mean μ [m] and covariance Σ = E[y yᵀ] − μ μᵀ [m, m] (float64) of every projection's output
/// y = W x over calibration windows, gathered in one forward pass through recording wrappers.
/// </summary>
sealed class OutputStatistics : IDisposable
{
    readonly Dictionary<(int, string), (Tensor Mean, Tensor Covariance)> _stats = [];

    public (Tensor Mean, Tensor Covariance) this[int layer, string projection] => _stats[(layer, projection)];

    public static OutputStatistics Collect(LlamaModel model, IReadOnlyList<long[]> windows)
    {
        var recorders = new List<(int Layer, string Projection, nn.Module<Tensor, Tensor> Previous, Recorder Wrapper)>();
        try
        {
            for (int l = 0; l < model.Config.NumLayers; l++)
                foreach (string p in Core.Model.LlamaTensorNames.Projections)
                {
                    var previous = model.GetProjection(l, p);
                    var recorder = new Recorder(previous);
                    model.SetProjection(l, p, recorder);
                    recorders.Add((l, p, previous, recorder));
                }
            using (no_grad())
                foreach (var w in windows)
                {
                    using var scope = NewDisposeScope();
                    model.forward(tensor(w, [1, w.Length]));
                }
            var result = new OutputStatistics();
            foreach (var (l, p, _, r) in recorders) result._stats[(l, p)] = r.Finish();
            return result;
        }
        finally
        {
            for (int i = recorders.Count - 1; i >= 0; i--)
            {
                model.SetProjection(recorders[i].Layer, recorders[i].Projection, recorders[i].Previous);
                recorders[i].Wrapper.Dispose();
            }
        }
    }

    public void Dispose()
    {
        foreach (var (m, c) in _stats.Values) { m.Dispose(); c.Dispose(); }
    }

    sealed class Recorder(nn.Module<Tensor, Tensor> baseLayer) : nn.Module<Tensor, Tensor>(nameof(Recorder))
    {
        // Plain holder: TorchSharp would register tensor and module fields as this module's own.
        readonly State _state = new(baseLayer);

        public override Tensor forward(Tensor x)
        {
            var y = _state.BaseLayer.call(x);
            using var scope = NewDisposeScope();
            var rows = y.detach().reshape(-1, y.shape[^1]).to(ScalarType.Float64);
            if (_state.Sum is null) _state.Sum = rows.sum(0L).DetachFromDisposeScope();
            else _state.Sum.add_(rows.sum(0L));
            if (_state.Outer is null) _state.Outer = matmul(rows.t(), rows).DetachFromDisposeScope();
            else _state.Outer.add_(matmul(rows.t(), rows));
            _state.Count += rows.shape[0];
            return y;
        }

        public (Tensor Mean, Tensor Covariance) Finish()
        {
            var mean = (_state.Sum! / _state.Count).DetachFromDisposeScope();
            var covariance = (_state.Outer! / _state.Count - outer(mean, mean)).DetachFromDisposeScope();
            _state.Sum.Dispose();
            _state.Outer.Dispose();
            return (mean, covariance);
        }

        sealed class State(nn.Module<Tensor, Tensor> baseLayer)
        {
            public nn.Module<Tensor, Tensor> BaseLayer { get; } = baseLayer;
            public Tensor? Sum { get; set; }
            public Tensor? Outer { get; set; }
            public long Count { get; set; }
        }
    }
}
