using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

/// <summary>Mostly-zero adapter tensors are stored sparse when asked, and read back dense; damaged indices are refused.</summary>
public class SparseTensorEncodingTests : IDisposable
{
    static readonly LlamaConfig Model = new() { Dim = 16, HiddenDim = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 1, VocabSize = 20, MaxSeqLen = 8 };
    readonly LlamaWeights _base = RandomCheckpoint.Create(Model, seed: 1);
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    AdapterManifest Manifest() => new()
    {
        Method = AdapterMethods.Gmt,
        Hyperparameters = AdapterManifest.ToJsonObject(new GmtConfig { TargetModules = ["q_proj"], Layers = [1] }),
        BaseModel = ModelFingerprint.Of(_base),
    };

    static TensorData Delta(int nonzeros)
    {
        var data = new float[16 * 16];
        for (int k = 0; k < nonzeros; k++) data[k * 7 % data.Length] = k + 0.5f;
        return new TensorData(AdapterTensorNames.WeightDelta(1, "q_proj"), [16, 16], data);
    }

    [Theory]
    [InlineData(5, true)]
    [InlineData(0, true)]
    [InlineData(200, false)]
    public void SparseWhenSmaller_RoundTripsDense_AndPicksTheSmallerForm(int nonzeros, bool expectSparse)
    {
        var delta = Delta(nonzeros);
        AdapterFolder.Write(_dir + "/a", Manifest(), [delta], sparseWhenSmaller: true);

        var file = SafeTensorsFile.Open(Path.Combine(_dir, "a", AdapterManifest.DefaultWeightsFile));
        Assert.Equal(expectSparse, SparseTensorEncoding.IsStoredSparse(file, delta.Name));
        var read = AdapterFolder.Read(_dir + "/a", Model, ModelFingerprint.Of(_base));
        Assert.Equal(delta.Data, read.Tensors[delta.Name].Data);
    }

    [Fact]
    public void OutOfOrderIndices_AreRefusedNamingTheTensor()
    {
        var name = AdapterTensorNames.WeightDelta(1, "q_proj");
        string folder = Path.Combine(_dir, "b");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, AdapterManifest.FileName), System.Text.Json.JsonSerializer.Serialize(Manifest(), AdapterManifest.Json));
        SafeTensorsFile.Write(Path.Combine(folder, AdapterManifest.DefaultWeightsFile),
        [
            new SafeTensorsFile.WriteEntry(name + SparseTensorEncoding.IndicesSuffix, [2], Longs: [9, 3], DType: "I64"),
            new SafeTensorsFile.WriteEntry(name + SparseTensorEncoding.ValuesSuffix, [2], Floats: [1, 2]),
        ]);

        var e = Assert.Throws<InvalidFileException>(() => AdapterFolder.Read(folder, Model));
        Assert.Contains(name, e.Message);
        Assert.Contains("out of order", e.Message);
    }
}
