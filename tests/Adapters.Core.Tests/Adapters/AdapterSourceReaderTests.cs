using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

/// <summary>One precedence for every stage: manifest.json, then adapter_config.json, then a run's adapter/.</summary>
public class AdapterSourceReaderTests : IDisposable
{
    static readonly LlamaConfig Model = new() { Dim = 16, HiddenDim = 24, NumLayers = 2, NumHeads = 2, NumKvHeads = 1, VocabSize = 20, MaxSeqLen = 8 };
    readonly LlamaWeights _base = RandomCheckpoint.Create(Model, seed: 1);
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    ModelFingerprint Fingerprint => ModelFingerprint.Of(_base);

    /// <summary>Writes our LoRA (values 0.25) and/or a PEFT LoRA (values 0.5) of rank 2 on q_proj into <paramref name="folder"/>.</summary>
    void Write(string folder, bool ours, bool peft)
    {
        var lora = new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj"] };
        Dictionary<string, TensorData> Filled(float v) => lora.ExpectedTensors(Model)
            .ToDictionary(e => e.Name, e => new TensorData(e.Name, e.Shape, Enumerable.Repeat(v, (int)TensorData.ElementCount(e.Shape)).ToArray()));
        string oursTmp = folder + ".ours", peftTmp = folder + ".peft";
        if (ours)
            AdapterFolder.Write(oursTmp, new AdapterManifest { Method = AdapterMethods.Lora, Hyperparameters = AdapterManifest.ToJsonObject(lora), BaseModel = Fingerprint }, Filled(0.25f).Values);
        if (peft) PeftLoraFormat.Write(peftTmp, lora, Model, Filled(0.5f));
        Directory.CreateDirectory(folder);
        foreach (string tmp in new[] { oursTmp, peftTmp }.Where(Directory.Exists))
        {
            foreach (string f in Directory.GetFiles(tmp)) File.Move(f, Path.Combine(folder, Path.GetFileName(f)));
            Directory.Delete(tmp);
        }
    }

    [Fact]
    public void Our_manifest_wins_over_a_peft_config_in_the_same_folder()
    {
        string folder = Path.Combine(_dir, "both");
        Write(folder, ours: true, peft: true);

        var location = AdapterSourceReader.Locate(folder);
        var read = AdapterSourceReader.Read(folder, Model, Fingerprint);

        Assert.Equal(AdapterSourceKind.Manifest, location.Kind);
        Assert.All(read.Tensors[AdapterTensorNames.LoraA(0, "q_proj")].Data, v => Assert.Equal(0.25f, v));
    }

    [Fact]
    public void Peft_folder_is_read_as_lora_for_the_given_base()
    {
        string folder = Path.Combine(_dir, "hf-lora");
        Write(folder, ours: false, peft: true);

        var location = AdapterSourceReader.Locate(folder);
        var read = AdapterSourceReader.Read(folder, Model, Fingerprint);

        Assert.Equal((AdapterSourceKind.Peft, "hf-lora"), (location.Kind, location.Name));
        Assert.Equal(AdapterMethods.Lora, read.Manifest.Method);
        Assert.Equal(Fingerprint, read.Manifest.BaseModel);
        Assert.All(read.Tensors[AdapterTensorNames.LoraA(0, "q_proj")].Data, v => Assert.Equal(0.5f, v));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Run_folder_is_named_after_the_run_and_read_from_its_adapter_subfolder(bool peft)
    {
        string run = Path.Combine(_dir, "my-run");
        Write(Path.Combine(run, AdapterSourceReader.RunAdapterSubfolder), ours: !peft, peft: peft);

        var location = AdapterSourceReader.Locate(run);

        Assert.Equal("my-run", location.Name);
        Assert.Equal(peft ? AdapterSourceKind.Peft : AdapterSourceKind.Manifest, location.Kind);
        Assert.Equal(Path.Combine(Path.GetFullPath(run), AdapterSourceReader.RunAdapterSubfolder), location.Folder);
    }

    [Fact]
    public void Folder_that_is_none_of_the_three_is_refused_naming_what_it_lacks()
    {
        string folder = Path.Combine(_dir, "empty");
        Directory.CreateDirectory(folder);

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Locate(folder));
        Assert.Equal(folder, e.Path);
        Assert.Contains(AdapterManifest.FileName, e.Problem);
        Assert.Contains(PeftLoraFormat.ConfigFile, e.Problem);
    }

    [Fact]
    public void Missing_folder_is_refused_as_not_found()
    {
        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Locate(Path.Combine(_dir, "nope")));
        Assert.Contains("not found", e.Problem);
    }

    [Fact]
    public void Peft_file_with_a_tensor_the_config_does_not_name_is_refused()
    {
        string folder = Path.Combine(_dir, "extra");
        Write(folder, ours: false, peft: true);
        string weights = Path.Combine(folder, PeftLoraFormat.WeightsFile);
        var file = SafeTensorsFile.Open(weights);
        var entries = file.Entries.Select(e => SafeTensorsFile.Float(file.ReadFloat(e.Name))).ToList();
        entries.Add(new SafeTensorsFile.WriteEntry("base_model.model.lm_head.weight", [2, 2], Floats: [1, 2, 3, 4]));
        SafeTensorsFile.Write(weights, entries);

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Read(folder, Model, Fingerprint));
        Assert.Contains("unexpected tensor 'base_model.model.lm_head.weight'", e.Message);
    }

    /// <summary>
    /// Found by the long fuzz run (fixed in b34890a, which had no test of its own): a hyperparameter
    /// that is JSON null (here target_modules) was a NullReferenceException; it is one refusal naming the field.
    /// </summary>
    [Fact]
    public void Our_manifest_with_a_null_hyperparameter_is_refused_naming_it()
    {
        string folder = Path.Combine(_dir, "null-hyperparameter");
        Write(folder, ours: true, peft: false);
        string manifest = Path.Combine(folder, AdapterManifest.FileName);
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(manifest))!;
        json["hyperparameters"]!["target_modules"] = null;
        File.WriteAllText(manifest, json.ToJsonString());

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Read(folder, Model, Fingerprint));
        Assert.Contains("'target_modules' is null", e.Problem);
    }

    /// <summary>
    /// Found by the long fuzz run (fixed in b34890a): a PEFT lora_alpha beyond float's range reads as
    /// infinity, which crashed (ArgumentException) writing the imported manifest; it is refused as not finite.
    /// </summary>
    [Fact]
    public void Peft_lora_alpha_beyond_float_range_is_refused_as_not_finite()
    {
        string folder = Path.Combine(_dir, "infinite-alpha");
        Write(folder, ours: false, peft: true);
        string config = Path.Combine(folder, PeftLoraFormat.ConfigFile);
        File.WriteAllText(config, System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(config), "\"lora_alpha\":\\s*[0-9.eE+-]+", "\"lora_alpha\": 1e39"));
        Assert.Contains("1e39", File.ReadAllText(config));

        var e = Assert.Throws<InvalidFileException>(() => AdapterSourceReader.Read(folder, Model, Fingerprint));
        Assert.Contains("finite", e.Problem);
    }
}
