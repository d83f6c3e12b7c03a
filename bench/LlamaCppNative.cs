using LLama.Native;

namespace Adapters.Bench;

/// <summary>
/// Loads llama.cpp's native library once, quietly. LLamaSharp selects and loads libllama in
/// NativeApi's static constructor; some of its P/Invokes (the quantizer's) do not run it, and
/// then fail with DllNotFoundException for 'llama' — so every llama.cpp use starts here.
/// </summary>
public static class LlamaCppNative
{
    static readonly Lazy<bool> Loaded = new(() =>
    {
        NativeLibraryConfig.All.WithLogCallback((_, _) => { }); // llama.cpp logs every load to stderr
        NativeApi.llama_empty_call();
        return true;
    });

    public static void EnsureLoaded() => _ = Loaded.Value;
}
