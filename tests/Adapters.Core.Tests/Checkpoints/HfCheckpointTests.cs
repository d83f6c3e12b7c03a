using Adapters.Core.IO;
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Checkpoints;

/// <summary>Hugging Face folders (config.json + safetensors): round trips per dtype, shards, and damaged files.</summary>
public sealed class HfCheckpointTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("hf-checkpoint");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>float16 keeps 11 significant bits (relative step 2⁻¹¹) and resolves 2⁻²⁴ near zero.</summary>
    const float F16Relative = 1f / 2048, F16Absolute = 6e-8f;

    /// <summary>bfloat16 keeps 8 significant bits (relative step 2⁻⁸) with float32's exponent range.</summary>
    const float BF16Relative = 1f / 256, BF16Absolute = 0f;

    static LlamaWeights Small(bool sharedClassifier = true) => RandomCheckpoint.Create(CheckpointAssert.SmallConfig(sharedClassifier), seed: 2);

    string Folder(string name = "hf") => Path.Combine(_dir, name);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void F32_write_then_read_is_bit_identical(bool sharedClassifier)
    {
        var weights = Small(sharedClassifier);
        HfCheckpoint.Write(weights, Folder());
        CheckpointAssert.BitIdentical(weights, HfCheckpoint.Read(Folder()));
    }

    [Theory]
    [InlineData("F16", F16Relative, F16Absolute)]
    [InlineData("BF16", BF16Relative, BF16Absolute)]
    public void Half_precision_write_then_read_is_within_the_dtype_rounding(string dtype, float relative, float absolute)
    {
        var weights = Small(sharedClassifier: false);
        HfCheckpoint.Write(weights, Folder(), dtype);
        CheckpointAssert.Close(weights, HfCheckpoint.Read(Folder()), relative, absolute);
    }

    [Fact]
    public void Sharded_folder_is_read_through_its_index()
    {
        var weights = Small(sharedClassifier: false);
        HfCheckpoint.Write(weights, Folder(), shards: 3);

        Assert.True(File.Exists(Path.Combine(Folder(), HfCheckpoint.IndexFile)));
        Assert.False(File.Exists(Path.Combine(Folder(), HfCheckpoint.WeightsFile)));
        Assert.Equal(3, Directory.GetFiles(Folder(), "model-*-of-00003.safetensors").Length);
        CheckpointAssert.BitIdentical(weights, HfCheckpoint.Read(Folder()));
    }

    [Fact]
    public void Llama2c_and_HF_round_trips_give_the_same_weights()
    {
        // HF stores q/k rows in rotate-half order; reading converts back to the canonical layout.
        var weights = Small();
        string bin = Path.Combine(_dir, "model.bin");
        Llama2cCheckpoint.Write(weights, bin);
        HfCheckpoint.Write(Llama2cCheckpoint.Read(bin), Folder());
        CheckpointAssert.BitIdentical(weights, CheckpointLoader.Load(Folder()));
    }

    [Fact]
    public void Query_rows_are_stored_in_Hugging_Face_rotate_half_order()
    {
        var weights = Small();
        HfCheckpoint.Write(weights, Folder());
        string q = LlamaTensorNames.Wq(0);
        var stored = SafeTensorsFile.Open(Path.Combine(Folder(), HfCheckpoint.WeightsFile)).ReadFloat(q);
        int cols = weights.Config.Dim, half = weights.Config.HeadSize / 2;
        // Canonical row 1 (head 0, pair 0, second element) is HF row half.
        Assert.Equal(weights[q].Data.AsSpan(1 * cols, cols).ToArray(), stored.Data.AsSpan(half * cols, cols).ToArray());
    }

    /// <summary>A small config of each family with every feature it can have: head_dim ≠ dim/heads, biases, q/k norm, rope scaling.</summary>
    public static LlamaConfig FamilyConfig(string family) => CheckpointAssert.SmallConfig(sharedClassifier: family != ModelFamilies.Mistral) with
    {
        Family = family,
        HeadDim = family == ModelFamilies.Qwen3 ? 12 : null,
        QkvBias = family is ModelFamilies.Qwen2 or ModelFamilies.Llama,
        OutputBias = family == ModelFamilies.Llama,
        QkNorm = family == ModelFamilies.Qwen3,
        RopeScaling = family == ModelFamilies.Llama
            ? new RopeScaling { Type = RopeScaling.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16 }
            : family == ModelFamilies.Qwen3 ? new RopeScaling { Type = RopeScaling.Linear, Factor = 2 } : null,
    };

    [Theory]
    [InlineData(ModelFamilies.Llama)]
    [InlineData(ModelFamilies.Mistral)]
    [InlineData(ModelFamilies.Qwen2)]
    [InlineData(ModelFamilies.Qwen3)]
    public void Every_family_writes_then_reads_bit_identical_with_its_biases_and_norms(string family)
    {
        var weights = RandomCheckpoint.Create(FamilyConfig(family), seed: 7, normStd: 0.1f);
        HfCheckpoint.Write(weights, Folder(), shards: 2);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(), HfCheckpoint.ConfigFile)))!;
        Assert.Equal(ModelFamilies.Architecture(family), json["architectures"]![0]!.GetValue<string>());
        Assert.Equal(weights.Config.HeadSize, json["head_dim"]!.GetValue<int>());
        CheckpointAssert.BitIdentical(weights, HfCheckpoint.Read(Folder()));
    }

    [Fact]
    public void Llama_attention_bias_and_rope_scaling_are_written_as_HF_names_them()
    {
        HfCheckpoint.Write(RandomCheckpoint.Create(FamilyConfig(ModelFamilies.Llama), seed: 7), Folder());
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(Folder(), HfCheckpoint.ConfigFile)))!;
        Assert.True(json["attention_bias"]!.GetValue<bool>());
        Assert.Equal("llama3", json["rope_scaling"]!["rope_type"]!.GetValue<string>());
        Assert.Equal(16, json["rope_scaling"]!["original_max_position_embeddings"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("F16", F16Relative, F16Absolute)]
    [InlineData("BF16", BF16Relative, BF16Absolute)]
    public void Qwen3_half_precision_weights_read_within_the_dtype_rounding(string dtype, float relative, float absolute)
    {
        var weights = RandomCheckpoint.Create(FamilyConfig(ModelFamilies.Qwen3), seed: 8, normStd: 0.1f);
        HfCheckpoint.Write(weights, Folder(), dtype, shards: 3);
        CheckpointAssert.Close(weights, HfCheckpoint.Read(Folder()), relative, absolute);
    }

    [Fact]
    public void Query_and_key_biases_and_norms_are_stored_in_rotate_half_order()
    {
        // HF index h·hs + p·hs/2 + i holds canonical index h·hs + 2i + p (pair i, element p).
        var config = FamilyConfig(ModelFamilies.Qwen3) with { QkvBias = true, OutputBias = true };
        var weights = RandomCheckpoint.Create(config, seed: 9, normStd: 0.1f);
        HfCheckpoint.Write(weights, Folder());
        var file = SafeTensorsFile.Open(Path.Combine(Folder(), HfCheckpoint.WeightsFile));
        int hs = config.HeadSize, half = hs / 2;
        foreach (var (name, heads) in new[] { (LlamaTensorNames.ProjectionBias(1, "q_proj"), config.NumHeads), (LlamaTensorNames.ProjectionBias(1, "k_proj"), config.NumKvHeads),
                     (LlamaTensorNames.QNorm(1), 1), (LlamaTensorNames.KNorm(1), 1) })
        {
            var canonical = weights[name].Data;
            var stored = file.ReadFloat(name).Data;
            for (int h = 0; h < heads; h++)
                for (int i = 0; i < half; i++)
                    for (int p = 0; p < 2; p++)
                        Assert.Equal(canonical[h * hs + 2 * i + p], stored[h * hs + p * half + i]);
        }
        // v_proj and o_proj are not rotated: stored as they are.
        Assert.Equal(weights[LlamaTensorNames.ProjectionBias(1, "v_proj")].Data, file.ReadFloat(LlamaTensorNames.ProjectionBias(1, "v_proj")).Data);
        Assert.Equal(weights[LlamaTensorNames.ProjectionBias(1, "o_proj")].Data, file.ReadFloat(LlamaTensorNames.ProjectionBias(1, "o_proj")).Data);
    }

    [Theory]
    [InlineData(ModelFamilies.Qwen2, false, false, false, "Qwen2 always has q/k/v biases")]
    [InlineData(ModelFamilies.Mistral, true, false, false, "Mistral has no attention biases")]
    [InlineData(ModelFamilies.Llama, true, false, false, "attention_bias sets the q/k/v and o_proj biases together")]
    [InlineData(ModelFamilies.Qwen3, false, false, false, "Qwen3 always has q_norm/k_norm")]
    [InlineData(ModelFamilies.Llama, false, false, true, "only Qwen3 has q_norm/k_norm")]
    public void A_model_its_family_config_cannot_express_is_not_written(string family, bool qkvBias, bool outputBias, bool qkNorm, string fragment)
    {
        var config = CheckpointAssert.SmallConfig() with { Family = family, QkvBias = qkvBias, OutputBias = outputBias, QkNorm = qkNorm };
        var e = Assert.Throws<ArgumentException>(() => HfCheckpoint.Write(RandomCheckpoint.Create(config), Folder()));
        Assert.Contains(fragment, e.Message);
        Assert.False(Directory.Exists(Folder()));
    }

    [Fact]
    public void The_llama2c_format_refuses_what_its_header_cannot_hold()
    {
        var e = Assert.Throws<ArgumentException>(() => Llama2cCheckpoint.Write(RandomCheckpoint.Create(FamilyConfig(ModelFamilies.Qwen3)), Path.Combine(_dir, "x.bin")));
        Assert.Contains("family qwen3, head_dim 12, q/k norm, rope_scaling linear", e.Message);
        Assert.False(File.Exists(Path.Combine(_dir, "x.bin")));
    }

    [Fact]
    public void Safetensors_missing_a_tensor_names_the_tensor_and_the_file()
    {
        var weights = Small();
        HfCheckpoint.Write(weights, Folder());
        string file = Path.Combine(Folder(), HfCheckpoint.WeightsFile);
        string dropped = LlamaTensorNames.W2(1);
        var st = SafeTensorsFile.Open(file);
        var kept = st.Entries.Where(e => e.Name != dropped).Select(e => SafeTensorsFile.Float(st.ReadFloat(e.Name))).ToList();
        SafeTensorsFile.Write(file, kept);

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(Folder()));
        Assert.Equal(file, e.Path);
        Assert.Contains($"missing tensor '{dropped}'", e.Message);
    }

    [Fact]
    public void Safetensors_header_length_larger_than_the_file_is_reported()
    {
        HfCheckpoint.Write(Small(), Folder());
        string file = Path.Combine(Folder(), HfCheckpoint.WeightsFile);
        long length = new FileInfo(file).Length;
        using (var f = new FileStream(file, FileMode.Open))
        {
            var header = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(header, (ulong)length * 2);
            f.Write(header);
        }

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(Folder()));
        Assert.Equal(file, e.Path);
        Assert.Contains($"header length {length * 2}", e.Message);
        Assert.Contains($"{length}-byte file", e.Message);
    }

    [Fact]
    public void Safetensors_header_length_with_the_top_bit_set_is_reported()
    {
        // 2⁶⁴ − 1 read as a signed length is negative; it must still be refused as too large.
        string file = Path.Combine(_dir, "model.safetensors");
        File.WriteAllBytes(file, [.. Enumerable.Repeat((byte)0xFF, 8), .. "{}"u8.ToArray()]);

        var e = Assert.Throws<InvalidFileException>(() => SafeTensorsFile.Open(file));
        Assert.Equal(file, e.Path);
        Assert.Contains("header length 18446744073709551615", e.Message);
    }

    [Fact]
    public void Truncated_safetensors_data_is_reported()
    {
        HfCheckpoint.Write(Small(), Folder());
        string file = Path.Combine(Folder(), HfCheckpoint.WeightsFile);
        using (var f = new FileStream(file, FileMode.Open)) f.SetLength(f.Length - 64);

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(Folder()));
        Assert.Equal(file, e.Path);
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Tensor_with_the_wrong_shape_names_both_shapes()
    {
        var weights = Small();
        HfCheckpoint.Write(weights, Folder());
        string configPath = Path.Combine(Folder(), HfCheckpoint.ConfigFile);
        var config = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        config["intermediate_size"] = 64;
        File.WriteAllText(configPath, config.ToJsonString());

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(Folder()));
        Assert.Contains("has shape [48, 32], expected [64, 32]", e.Message);
    }

    [Fact]
    public void Folder_without_weights_is_reported()
    {
        HfCheckpoint.Write(Small(), Folder());
        File.Delete(Path.Combine(Folder(), HfCheckpoint.WeightsFile));
        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(Folder()));
        Assert.Contains(HfCheckpoint.WeightsFile, e.Message);
        Assert.Contains(HfCheckpoint.IndexFile, e.Message);
    }
}
