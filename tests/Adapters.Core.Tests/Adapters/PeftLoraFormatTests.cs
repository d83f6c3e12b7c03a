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
    public void A_qwen3_shaped_peft_lora_merged_in_hugging_face_layout_equals_our_fused_checkpoint()
    {
        // Qwen3 shape: head_dim 12 ≠ 32/4, q_proj [48, 32], k_proj [24, 32], o_proj [32, 48].
        var config = Adapters.Core.Tests.Checkpoints.HfCheckpointTests.FamilyConfig(ModelFamilies.Qwen3);
        var weights = RandomCheckpoint.Create(config, seed: 4, normStd: 0.1f);
        var adapter = RandomAdapters.Lora(weights, seed: 5, rank: 3, targets: ["q_proj", "k_proj", "o_proj"]);
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>();
        string peft = Path.Combine(_dir, "peft"), hf = Path.Combine(_dir, "hf"), fused = Path.Combine(_dir, "fused");
        PeftLoraFormat.Write(peft, lora, config, adapter.Tensors);
        HfCheckpoint.Write(weights, hf);
        HfCheckpoint.Write(Adapters.Core.Adapters.WeightDeltas.WeightDeltaFolding.Fold(weights, new Adapters.Core.Adapters.WeightDeltas.AdapterWeightDelta(adapter, config)), fused);

        // What PEFT's merge does, on the files as Hugging Face has them: W + (alpha / r) · B A, no permutation.
        var baseFile = SafeTensorsFile.Open(Path.Combine(hf, HfCheckpoint.WeightsFile));
        var fusedFile = SafeTensorsFile.Open(Path.Combine(fused, HfCheckpoint.WeightsFile));
        var peftFile = SafeTensorsFile.Open(Path.Combine(peft, PeftLoraFormat.WeightsFile));
        foreach (string projection in lora.TargetModules)
        {
            var w = baseFile.ReadFloat(LlamaTensorNames.Projection(1, projection));
            var a = peftFile.ReadFloat("base_model.model." + AdapterTensorNames.LoraA(1, projection)); // [r, in]
            var b = peftFile.ReadFloat("base_model.model." + AdapterTensorNames.LoraB(1, projection)); // [out, r]
            int rows = w.Shape[0], cols = w.Shape[1], r = a.Shape[0];
            var expected = fusedFile.ReadFloat(LlamaTensorNames.Projection(1, projection)).Data;
            for (int i = 0; i < rows; i++)
                for (int j = 0; j < cols; j++)
                {
                    double merged = w.Data[i * cols + j];
                    for (int k = 0; k < r; k++) merged += lora.Scale * b.Data[i * r + k] * a.Data[k * cols + j];
                    Assert.True(Math.Abs(merged - expected[i * cols + j]) < 1e-5, $"{projection}[{i}, {j}]: {merged} vs {expected[i * cols + j]}");
                }
        }
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
