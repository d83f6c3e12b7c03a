using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

public class AdapterFolderTests : IDisposable
{
    static readonly LlamaConfig Model = new() { Dim = 16, HiddenDim = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 1, VocabSize = 20, MaxSeqLen = 8 };
    readonly LlamaWeights _base = RandomCheckpoint.Create(Model, seed: 1);
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    AdapterManifest LoReftManifest(ModelFingerprint? fingerprint = null) => new()
    {
        Method = AdapterMethods.LoReft,
        Hyperparameters = AdapterManifest.ToJsonObject(new ReftConfig { Rank = 2, Layers = [1], Positions = "f1+l1" }),
        BaseModel = fingerprint ?? ModelFingerprint.Of(_base),
    };

    List<TensorData> Tensors(AdapterManifest m, float fill = 0.25f) =>
        AdapterSchemas.ExpectedTensors(m, Model).Select(e => new TensorData(e.Name, e.Shape, Enumerable.Repeat(fill, (int)TensorData.ElementCount(e.Shape)).ToArray())).ToList();

    [Fact]
    public void Adapter_folder_round_trips_manifest_and_tensors()
    {
        var manifest = LoReftManifest();
        string folder = Path.Combine(_dir, "a");
        AdapterFolder.Write(folder, manifest, Tensors(manifest));

        var read = AdapterFolder.Read(folder, Model, ModelFingerprint.Of(_base));

        Assert.Equal(AdapterMethods.LoReft, read.Manifest.Method);
        Assert.Equal(3, read.Tensors.Count);
        Assert.All(read.Tensors.Values, t => Assert.All(t.Data, v => Assert.Equal(0.25f, v)));
    }

    [Fact]
    public void Adapter_of_another_base_model_is_refused()
    {
        var other = ModelFingerprint.Of(RandomCheckpoint.Create(Model, seed: 2));
        var manifest = LoReftManifest(other);
        string folder = Path.Combine(_dir, "a");
        AdapterFolder.Write(folder, manifest, Tensors(manifest));

        var e = Assert.Throws<InvalidFileException>(() => AdapterFolder.Read(folder, Model, ModelFingerprint.Of(_base)));
        Assert.Contains("manifest.json", e.Message);
        Assert.Contains("trained on base model", e.Message);
    }

    [Fact]
    public void Non_finite_weights_are_refused_on_read_naming_the_tensor()
    {
        var manifest = LoReftManifest();
        string folder = Path.Combine(_dir, "a");
        AdapterFolder.Write(folder, manifest, Tensors(manifest));
        var tensors = Tensors(manifest);
        tensors[0].Data[3] = float.NaN;
        SafeTensorsFile.Write(Path.Combine(folder, manifest.WeightsFile), tensors.Select(SafeTensorsFile.Float));

        var e = Assert.Throws<InvalidFileException>(() => AdapterFolder.Read(folder, Model));
        Assert.Contains(tensors[0].Name, e.Message);
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void Writing_non_finite_weights_fails_and_leaves_no_folder()
    {
        var manifest = LoReftManifest();
        var tensors = Tensors(manifest);
        tensors[1].Data[0] = float.PositiveInfinity;
        string folder = Path.Combine(_dir, "a");

        Assert.Throws<InvalidFileException>(() => AdapterFolder.Write(folder, manifest, tensors));
        Assert.False(Directory.Exists(folder));
    }

    [Fact]
    public void Tensor_with_the_wrong_shape_is_refused_with_both_shapes()
    {
        var manifest = LoReftManifest();
        string folder = Path.Combine(_dir, "a");
        AdapterFolder.Write(folder, manifest, Tensors(manifest));
        var bad = Tensors(manifest).Select(t => t.Name.EndsWith(".W") ? new TensorData(t.Name, [3, 16], new float[48]) : t);
        SafeTensorsFile.Write(Path.Combine(folder, manifest.WeightsFile), bad.Select(SafeTensorsFile.Float));

        var e = Assert.Throws<InvalidFileException>(() => AdapterFolder.Read(folder, Model));
        Assert.Contains("[3, 16]", e.Message);
        Assert.Contains("[2, 16]", e.Message);
    }
}
