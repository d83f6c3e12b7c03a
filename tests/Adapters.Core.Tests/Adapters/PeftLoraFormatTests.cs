using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

public class PeftLoraFormatTests : IDisposable
{
    static readonly LlamaConfig Model = new() { Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 40, MaxSeqLen = 16 };
    readonly LlamaWeights _base = RandomCheckpoint.Create(Model, seed: 3);
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static Dictionary<string, TensorData> RandomLora(LoraConfig lora)
    {
        var rng = new Random(11);
        return lora.ExpectedTensors(Model).ToDictionary(e => e.Name,
            e => new TensorData(e.Name, e.Shape, Enumerable.Range(0, (int)TensorData.ElementCount(e.Shape)).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray()));
    }

    [Fact]
    public void Written_peft_lora_reads_back_bit_identical()
    {
        var lora = new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "k_proj", "v_proj", "down_proj"] };
        var tensors = RandomLora(lora);
        string folder = Path.Combine(_dir, "peft");
        PeftLoraFormat.Write(folder, lora, Model, tensors);

        var read = AdapterSourceReader.Read(folder, Model, ModelFingerprint.Of(_base));

        Assert.Equal(tensors.Keys.Order(), read.Tensors.Keys.Order());
        foreach (var (name, t) in tensors) Assert.Equal(t.Data, read.Tensors[name].Data);
        var config = read.Manifest.HyperparametersAs<LoraConfig>();
        Assert.Equal((4, 8f), (config.Rank, config.Alpha));
    }

    [Fact]
    public void Query_lora_B_is_stored_in_the_hugging_face_rotary_layout()
    {
        var lora = new LoraConfig { Rank = 2, TargetModules = ["q_proj"] };
        var tensors = RandomLora(lora);
        string folder = Path.Combine(_dir, "peft");
        PeftLoraFormat.Write(folder, lora, Model, tensors);

        string name = AdapterTensorNames.LoraB(0, "q_proj");
        var stored = SafeTensorsFile.Open(Path.Combine(folder, PeftLoraFormat.WeightsFile)).ReadFloat("base_model.model." + name);
        var expected = RotaryLayout.ToHuggingFace(tensors[name], Model.NumHeads);
        Assert.Equal(expected.Data, stored.Data);
        Assert.NotEqual(tensors[name].Data, stored.Data);
    }

    [Fact]
    public void Peft_folder_whose_tensors_disagree_with_its_rank_is_refused()
    {
        var written = new LoraConfig { Rank = 4, TargetModules = ["q_proj"] };
        string folder = Path.Combine(_dir, "peft");
        PeftLoraFormat.Write(folder, written, Model, RandomLora(written));
        string configPath = Path.Combine(folder, PeftLoraFormat.ConfigFile);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"r\": 4", "\"r\": 8"));

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Read(folder, Model, ModelFingerprint.Of(_base)));
        Assert.Contains("adapter_model.safetensors", e.Message);
        Assert.Contains("[4, 32]", e.Message);
        Assert.Contains("[8, 32]", e.Message);
    }

    [Fact]
    public void Peft_folder_missing_a_tensor_is_refused_naming_it()
    {
        var lora = new LoraConfig { Rank = 2, TargetModules = ["q_proj", "v_proj"] };
        string folder = Path.Combine(_dir, "peft");
        var partial = RandomLora(lora);
        partial.Remove(AdapterTensorNames.LoraB(1, "v_proj"));
        var fewer = partial.Values.Select(t => new SafeTensorsFile.WriteEntry("base_model.model." + t.Name, t.Shape, Floats: t.Data));
        PeftLoraFormat.Write(folder, lora, Model, RandomLora(lora));
        SafeTensorsFile.Write(Path.Combine(folder, PeftLoraFormat.WeightsFile), fewer);

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Read(folder, Model, ModelFingerprint.Of(_base)));
        Assert.Contains("missing tensor 'base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight'", e.Message);
    }
}
