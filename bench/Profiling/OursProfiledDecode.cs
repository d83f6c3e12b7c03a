using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Bench.Profiling;

/// <summary>Our runtime's decode of an exported folder (optionally one of its adapters), its session profiled.</summary>
internal sealed class OursProfiledDecode : IProfiledDecode
{
    readonly OnnxDecoderModel _model;
    readonly IDecoderModel _decoder;
    IDecoderSession? _session;
    int _next;

    public OursProfiledDecode(ExportedModel exported, string? adapter, int threads, string outputFolder, Action<string> log)
    {
        var options = new OnnxRuntimeOptions { IntraOpThreads = threads, Log = log, ProfileFilePrefix = Path.Combine(Path.GetFullPath(outputFolder), "ort_profile") };
        _model = OnnxDecoderModel.Load(exported, new OnnxSessionFactory(options));
        _decoder = adapter is null ? new Plain(_model) : new OnnxAdapterModel(_model, AdapterRegistry.WithExportedAdapters(exported), adapter);
    }

    public string Engine => "ours";

    public void Start(int[] prompt)
    {
        _session?.Dispose();
        _session = _decoder.StartSession();
        _next = Sampler.ArgMax(_session.ForwardLast(prompt));
    }

    public bool CanStep => _session is { } s && s.Position < _model.Config.MaxSeqLen;

    public void Step() => _next = Sampler.ArgMax(_session!.ForwardLast([_next]));

    public string EndProfiling()
    {
        _session?.Dispose();
        _session = null;
        return _model.EndProfiling();
    }

    public void Dispose()
    {
        _session?.Dispose();
        _decoder.Dispose();
        _model.Dispose();
    }

    sealed class Plain(OnnxDecoderModel model) : IDecoderModel
    {
        public Core.Model.LlamaConfig Config => model.Config;
        public IDecoderSession StartSession() => model.StartSession();
        public void Dispose() { }
    }
}
