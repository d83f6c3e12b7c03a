using Adapters.Core.IO;
using Adapters.Core.Exported;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>What the exporter writes, what the runtime reads back, and how it refuses a broken folder.</summary>
public sealed class ExportFolderTests
{
    static readonly LlamaConfig TinyConfig = new()
    {
        Dim = 16, HiddenDim = 40, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 512, MaxSeqLen = 16, // tok512's vocabulary
    };

    [Fact]
    public void Export_WritesModelGenAiConfigManifestAndTokenizer()
    {
        using var export = new TempExport(RandomCheckpoint.Create(TinyConfig), new LlamaExportOptions { TokenizerPath = SharedModels.Tok512 });

        var files = Directory.GetFiles(export.Folder).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["genai_config.json", "model.onnx", "model_manifest.json", "tok512.bin", "tokenizer.json", "tokenizer_config.json"], files);
        Assert.Equal([export.Folder], Directory.GetDirectories(export.Root)); // no temporary leftovers
    }

    [Fact]
    public void Export_RefusesATokenizerOfAnotherVocabularySize_WritingNothing()
    {
        var weights = RandomCheckpoint.Create(TinyConfig with { VocabSize = 40 });
        string root = SharedModels.NewTempFolder();
        try
        {
            string folder = Path.Combine(root, "export");
            var e = Assert.Throws<InvalidFileException>(() =>
                LlamaOnnxExporter.Export(weights, folder, new LlamaExportOptions { TokenizerPath = SharedModels.Tok512 }));
            Assert.Contains("tok512.bin", e.Message);
            Assert.Contains("vocab size mismatch", e.Message);
            Assert.Empty(Directory.GetFileSystemEntries(root));
        }
        finally { Directory.Delete(root, recursive: true); }
    }

    [Fact]
    public void Manifest_RoundTripsThroughTheRuntimeReader()
    {
        var weights = RandomCheckpoint.Create(TinyConfig, seed: 5);
        using var export = new TempExport(weights, new LlamaExportOptions { TokenizerPath = SharedModels.Tok512 });

        var opened = ExportedModel.Open(export.Folder);

        Assert.Equal(TinyConfig, opened.Config);
        Assert.Equal(ModelFingerprint.Of(weights), opened.Manifest.Fingerprint);
        Assert.Equal(weights.Source, opened.Manifest.SourceCheckpoint);
        Assert.Equal("llama2c", opened.TokenizerKind);
        Assert.Equal(File.ReadAllBytes(SharedModels.Tok512), File.ReadAllBytes(opened.TokenizerPath!));
        Assert.Equal((1, 2, 0), (opened.Manifest.BosTokenId, opened.Manifest.EosTokenId, opened.Manifest.PadTokenId));
        Assert.Equal("past_key_values.3.key", opened.Io.PastKey(3));
        Assert.Equal("present.3.value", opened.Io.PresentValue(3));
    }

    [Fact]
    public void ExternalData_GivesTheSameLogitsAsInline()
    {
        var weights = RandomCheckpoint.Create(TinyConfig, seed: 9);
        using var inline = new TempExport(weights);
        using var external = new TempExport(weights, new LlamaExportOptions { ExternalData = ExternalDataMode.Always });
        Assert.True(File.Exists(Path.Combine(external.Folder, ExportedModelFiles.ExternalDataFileName)));
        long inlineSize = new FileInfo(Path.Combine(inline.Folder, ExportedModelFiles.ModelFileName)).Length;
        long externalSize = new FileInfo(Path.Combine(external.Folder, ExportedModelFiles.ModelFileName)).Length;
        long embeddingBytes = (long)TinyConfig.VocabSize * TinyConfig.Dim * sizeof(float);
        Assert.True(inlineSize - externalSize >= embeddingBytes, $"model.onnx is {externalSize} bytes with external data, {inlineSize} inline");
        Assert.Equal(ExportedModelFiles.ExternalDataFileName, external.Manifest.ExternalDataFile);

        using var a = inline.Load();
        using var b = external.Load();
        using var sa = a.StartSession();
        using var sb = b.StartSession();
        int[] prompt = [1, 7, 30, 2];
        Assert.Equal(sa.Forward(prompt), sb.Forward(prompt));
    }

    [Theory]
    [InlineData(ExportedModelFiles.ModelFileName)]
    [InlineData(ExportedModelFiles.ManifestFileName)]
    public void MissingFile_IsRefusedNamingIt(string fileName)
    {
        using var export = new TempExport(RandomCheckpoint.Create(TinyConfig));
        File.Delete(Path.Combine(export.Folder, fileName));

        var e = Assert.Throws<InvalidFileException>(() => OnnxDecoderModel.Load(export.Folder, TestRuntime.Options));

        Assert.Equal(fileName, Path.GetFileName(e.Path));
        Assert.Contains(fileName, e.Message);
    }

    [Fact]
    public void ManifestOfAnotherFormat_IsRefusedNamingTheManifest()
    {
        using var export = new TempExport(RandomCheckpoint.Create(TinyConfig));
        string manifest = Path.Combine(export.Folder, ExportedModelFiles.ManifestFileName);
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"format_version\": 1", "\"format_version\": 99"));

        var e = Assert.Throws<InvalidFileException>(() => ExportedModel.Open(export.Folder));

        Assert.Equal(manifest, e.Path);
        Assert.Contains("99", e.Message);
    }

    [Fact]
    public void SessionFactory_LogsTheProviderChoiceOnce()
    {
        using var export = new TempExport(RandomCheckpoint.Create(TinyConfig));
        var lines = new List<string>();
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions { IntraOpThreads = 1, Log = lines.Add });
        var exported = ExportedModel.Open(export.Folder);

        using (OnnxDecoderModel.Load(exported, factory)) { }
        using (OnnxDecoderModel.Load(exported, factory)) { }

        string line = Assert.Single(lines);
        Assert.Contains("execution provider", line);
        Assert.NotNull(factory.Provider);
    }

    [Fact]
    public void DisposingTwice_IsHarmless_AndUseAfterDisposeThrows()
    {
        using var export = new TempExport(RandomCheckpoint.Create(TinyConfig));
        var model = export.Load();
        var session = model.StartSession();
        session.Forward([1, 2, 3]);

        session.Dispose();
        session.Dispose();
        Assert.Throws<ObjectDisposedException>(() => session.Forward([4]));
        model.Dispose();
        model.Dispose();
        Assert.Throws<ObjectDisposedException>(() => model.StartSession());
    }
}
