using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Adapters.Export.Onnx;

/// <summary>
/// Builds one ONNX graph: graph inputs and outputs with symbolic dimensions, weight
/// initializers, shared constants and nodes, all with unique value names. Names of
/// intermediate values carry the current <see cref="Scope"/> ("layers.3/attn/...") so the
/// graph reads well in Netron and in ONNX Runtime error messages.
/// Float weights are kept as references to their arrays until <see cref="OnnxModel.Save"/>
/// decides whether they go inline or into an external data file.
/// <para>
/// Control-flow bodies (the branches of <see cref="If"/>) are built by child builders that share
/// the root's names, scopes, constants and weights: a body reads any outer value by name (ONNX's
/// outer-scope rule), its own values never shadow one (names stay unique model-wide), and the
/// constants and weights it asks for become initializers of the root graph.
/// </para>
/// </summary>
public sealed class OnnxGraphBuilder
{
    /// <summary>ONNX IR version 9 (ONNX 1.14+); the version ONNX Runtime GenAI accepted here.</summary>
    public const long IrVersion = 9;

    /// <summary>Default-domain opset 21: ReduceMean takes axes as an input, Shape has start/end.</summary>
    public const long OpsetVersion = 21;

    /// <summary>ONNX Runtime's contrib-op domain (MatMulNBits) and its only opset version.</summary>
    public const string MicrosoftDomain = "com.microsoft";
    public const long MicrosoftOpsetVersion = 1;

    readonly GraphProto _graph;     // where this builder's nodes, inputs and outputs go
    readonly GraphProto _root;      // where initializers go (the same graph unless this is a body)
    readonly HashSet<string> _usedNames;
    readonly Dictionary<string, int> _nextSuffix;
    readonly Dictionary<string, string> _constants;
    readonly List<OnnxWeight> _weights;
    readonly Stack<string> _scopes;
    readonly HashSet<string> _produced = new(StringComparer.Ordinal); // values defined in this graph (node outputs, inputs)
    readonly HashSet<string> _domains; // non-default op domains used anywhere in the model, for its opset imports

    public OnnxGraphBuilder(string graphName)
    {
        _graph = _root = new GraphProto { Name = graphName };
        _usedNames = new(StringComparer.Ordinal);
        _nextSuffix = new(StringComparer.Ordinal);
        _constants = new(StringComparer.Ordinal);
        _weights = [];
        _scopes = new();
        _domains = new(StringComparer.Ordinal);
    }

    /// <summary>A body builder: its own GraphProto for nodes and outputs, everything else shared with <paramref name="parent"/>.</summary>
    OnnxGraphBuilder(OnnxGraphBuilder parent, string graphName)
    {
        _graph = new GraphProto { Name = graphName };
        _root = parent._root;
        _usedNames = parent._usedNames;
        _nextSuffix = parent._nextSuffix;
        _constants = parent._constants;
        _weights = parent._weights;
        _scopes = parent._scopes;
        _domains = parent._domains;
        IsSubgraph = true;
    }

    /// <summary>True for the builder of a control-flow body (see <see cref="If"/>).</summary>
    public bool IsSubgraph { get; }

    /// <summary>The current name prefix, e.g. "layers.2/attn"; empty at top level.</summary>
    public string Scope => _scopes.Count == 0 ? "" : _scopes.Peek();

    /// <summary>Nests names under <paramref name="name"/> until the returned handle is disposed.</summary>
    public IDisposable PushScope(string name)
    {
        _scopes.Push(Scope.Length == 0 ? name : $"{Scope}/{name}");
        return new ScopeHandle(_scopes);
    }

    /// <summary>A value name not used before: the scoped hint, with a numeric suffix when taken.</summary>
    public string UniqueName(string hint)
    {
        string prefix = Scope.Length == 0 ? hint : $"{Scope}/{hint}";
        if (_usedNames.Add(prefix)) return prefix;
        int n = _nextSuffix.GetValueOrDefault(prefix, 1);
        string name;
        do name = $"{prefix}_{n++}"; while (!_usedNames.Add(name));
        _nextSuffix[prefix] = n;
        return name;
    }

    /// <summary>Claims an exact name (graph inputs, outputs, weights); throws when it is taken.</summary>
    public string ReserveName(string name) =>
        _usedNames.Add(name) ? name : throw new InvalidOperationException($"the graph already has a value named '{name}'");

    // ---- graph inputs, outputs, initializers -------------------------------------------

    public string AddInput(string name, DataType type, params TensorDim[] dims)
    {
        _graph.Input.Add(ValueInfo(ReserveName(name), type, dims));
        _produced.Add(name);
        return name;
    }

    /// <summary>
    /// A float graph input whose initializer of the same name is its default (an overridable
    /// initializer, IR ≥ 4): ONNX Runtime uses the default unless the input is fed, which is how
    /// its LoRA adapters and GenAI's adapters replace values. The default may be empty (a
    /// dimension of 0) and need not match symbolic dimensions.
    /// </summary>
    public string AddInputWithDefault(string name, TensorDim[] dims, int[] defaultShape, float[] defaultData)
    {
        if (IsSubgraph) throw new InvalidOperationException($"'{name}': a control-flow body cannot declare an overridable input");
        AddWeight(name, defaultShape, defaultData);
        _graph.Input.Add(ValueInfo(name, DataType.Float, dims));
        _produced.Add(name);
        return name;
    }

    /// <summary>
    /// Declares graph output <paramref name="name"/> holding <paramref name="value"/>; an Identity
    /// node renames the value when the names differ (ONNX Runtime removes it when optimising).
    /// </summary>
    public string AddOutput(string name, string value, DataType type, params TensorDim[] dims)
    {
        if (value != name)
            AddNode(NewNode("Identity", [value], [ReserveName(name)], $"{name}/identity", []));
        _graph.Output.Add(ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>
    /// Adds a float weight under its exact (canonical) name. The array is referenced, not copied,
    /// so it must not change until the model is saved.
    /// </summary>
    public string AddWeight(string name, int[] dims, float[] data)
    {
        long count = 1;
        foreach (int d in dims) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"weight '{name}': shape [{string.Join(", ", dims)}] holds {count} values but {data.Length} were given");
        var proto = new TensorProto { Name = ReserveName(name), DataType = (int)DataType.Float };
        proto.Dims.AddRange(dims.Select(d => (long)d));
        _root.Initializer.Add(proto);
        _weights.Add(new OnnxWeight(proto, data));
        return name;
    }

    /// <summary>
    /// Adds a uint8 weight (block-quantized codes) under its exact name; referenced, not copied,
    /// like <see cref="AddWeight(string, int[], float[])"/>.
    /// </summary>
    public string AddWeight(string name, int[] dims, byte[] data)
    {
        long count = 1;
        foreach (int d in dims) count *= d;
        if (count != data.Length)
            throw new ArgumentException($"weight '{name}': shape [{string.Join(", ", dims)}] holds {count} values but {data.Length} were given");
        var proto = new TensorProto { Name = ReserveName(name), DataType = (int)DataType.Uint8 };
        proto.Dims.AddRange(dims.Select(d => (long)d));
        _root.Initializer.Add(proto);
        _weights.Add(new OnnxWeight(proto, data));
        return name;
    }

    /// <summary>A 1-D int64 constant (shapes, axes, indices); equal constants are shared.</summary>
    public string Int64s(params long[] values) =>
        Constant($"const_i64[{string.Join(",", values)}]", [values.Length], DataType.Int64, MemoryMarshal.AsBytes(values.AsSpan()));

    /// <summary>A scalar (rank 0) int64 constant.</summary>
    public string Int64Scalar(long value) =>
        Constant($"const_i64_scalar({value})", [], DataType.Int64, MemoryMarshal.AsBytes(new[] { value }.AsSpan()));

    /// <summary>A scalar (rank 0) float constant.</summary>
    public string FloatScalar(float value) =>
        Constant($"const_f32_scalar({value:R})", [], DataType.Float, MemoryMarshal.AsBytes(new[] { value }.AsSpan()));

    string Constant(string key, long[] dims, DataType type, ReadOnlySpan<byte> bytes)
    {
        if (_constants.TryGetValue(key, out var existing)) return existing;
        var proto = new TensorProto { Name = ReserveName(key), DataType = (int)type, RawData = ByteString.CopyFrom(bytes) };
        proto.Dims.AddRange(dims);
        _root.Initializer.Add(proto);
        _constants[key] = proto.Name;
        return proto.Name;
    }

    // ---- nodes ------------------------------------------------------------------------

    /// <summary>Adds a node with one output named after <paramref name="hint"/> (default: the op type).</summary>
    public string Op(string opType, IReadOnlyList<string> inputs, string? hint = null, params AttributeProto[] attributes) =>
        Op(opType, inputs, 1, hint, attributes)[0];

    /// <summary>Adds a node with <paramref name="outputCount"/> outputs and returns their names.</summary>
    public string[] Op(string opType, IReadOnlyList<string> inputs, int outputCount, string? hint = null, params AttributeProto[] attributes)
    {
        string baseName = hint ?? opType.ToLowerInvariant();
        var outputs = new string[outputCount];
        for (int i = 0; i < outputCount; i++) outputs[i] = UniqueName(outputCount == 1 ? baseName : $"{baseName}.{i}");
        AddNode(NewNode(opType, inputs, outputs, $"{outputs[0]}/{opType}", attributes));
        return outputs;
    }

    /// <summary>Adds a node whose single output gets the exact name <paramref name="output"/> (e.g. a graph output).</summary>
    public string OpNamed(string opType, IReadOnlyList<string> inputs, string output, params AttributeProto[] attributes)
    {
        AddNode(NewNode(opType, inputs, [ReserveName(output)], $"{output}/{opType}", attributes));
        return output;
    }

    /// <summary>
    /// Adds an ONNX Runtime contrib op (domain com.microsoft, e.g. MatMulNBits) whose single output
    /// gets <paramref name="output"/> exactly when given, else a name from <paramref name="hint"/>;
    /// the model then imports that domain. Only ONNX Runtime (and GenAI on it) runs such a graph.
    /// </summary>
    public string MicrosoftOp(string opType, IReadOnlyList<string> inputs, string? hint = null, string? output = null, params AttributeProto[] attributes)
    {
        string name = output is null ? UniqueName(hint ?? opType.ToLowerInvariant()) : ReserveName(output);
        var node = NewNode(opType, inputs, [name], $"{name}/{opType}", attributes);
        node.Domain = MicrosoftDomain;
        _domains.Add(MicrosoftDomain);
        AddNode(node);
        return name;
    }

    /// <summary>
    /// A contrib op with several outputs: each named exactly where <paramref name="outputs"/> gives
    /// a name, else after <paramref name="hint"/>. Returns the output names in order.
    /// </summary>
    public string[] MicrosoftOp(string opType, IReadOnlyList<string> inputs, IReadOnlyList<string?> outputs, string? hint = null, params AttributeProto[] attributes)
    {
        string baseName = hint ?? opType.ToLowerInvariant();
        // null: a name from the hint; "": an optional output left out (ONNX's empty name).
        var names = outputs.Select((o, i) => o is null ? UniqueName(outputs.Count == 1 ? baseName : $"{baseName}.{i}") : o.Length == 0 ? "" : ReserveName(o)).ToArray();
        var node = NewNode(opType, inputs, names, $"{names[0]}/{opType}", attributes);
        node.Domain = MicrosoftDomain;
        _domains.Add(MicrosoftDomain);
        AddNode(node);
        return names;
    }

    /// <summary>
    /// Removes the node of this graph that produces <paramref name="output"/> when nothing reads
    /// that value (no node here or in a control-flow body, no graph output): how a value built
    /// for hooks that left it unused is folded into a fused op instead. False, and nothing
    /// changes, when it is read.
    /// </summary>
    public bool TryRemoveUnread(string output)
    {
        var node = _graph.Node.SingleOrDefault(n => n.Output.Contains(output));
        if (node is null || _graph.Output.Any(o => o.Name == output) || Reads(_graph, output)) return false;
        _graph.Node.Remove(node);
        return true;
    }

    static bool Reads(GraphProto graph, string value) => graph.Node.Any(n =>
        n.Input.Contains(value) || n.Attribute.Any(a => a.G is { } body && Reads(body, value)));

    void AddNode(NodeProto node)
    {
        _graph.Node.Add(node);
        _produced.UnionWith(node.Output);
    }

    public string Add(string a, string b, string? hint = null) => Op("Add", [a, b], hint);
    public string Sub(string a, string b, string? hint = null) => Op("Sub", [a, b], hint);
    public string Mul(string a, string b, string? hint = null) => Op("Mul", [a, b], hint);
    public string Div(string a, string b, string? hint = null) => Op("Div", [a, b], hint);
    public string MatMul(string a, string b, string? hint = null) => Op("MatMul", [a, b], hint);
    public string Sigmoid(string x, string? hint = null) => Op("Sigmoid", [x], hint);
    public string Sqrt(string x, string? hint = null) => Op("Sqrt", [x], hint);
    public string Pow(string x, string exponent, string? hint = null) => Op("Pow", [x, exponent], hint);

    public string Reshape(string x, long[] shape, string? hint = null) => Op("Reshape", [x, Int64s(shape)], hint);
    public string Reshape(string x, string shape, string? hint = null) => Op("Reshape", [x, shape], hint);
    public string Transpose(string x, long[] perm, string? hint = null) => Op("Transpose", [x], hint, OnnxAttribute.Ints("perm", perm));
    public string Unsqueeze(string x, long[] axes, string? hint = null) => Op("Unsqueeze", [x, Int64s(axes)], hint);
    public string Squeeze(string x, long[] axes, string? hint = null) => Op("Squeeze", [x, Int64s(axes)], hint);
    public string Concat(IReadOnlyList<string> xs, long axis, string? hint = null) => Op("Concat", xs, hint, OnnxAttribute.Int("axis", axis));
    public string Gather(string data, string indices, long axis = 0, string? hint = null) => Op("Gather", [data, indices], hint, OnnxAttribute.Int("axis", axis));
    public string Cast(string x, DataType to, string? hint = null) => Op("Cast", [x], hint, OnnxAttribute.Int("to", (long)to));
    public string Softmax(string x, long axis = -1, string? hint = null) => Op("Softmax", [x], hint, OnnxAttribute.Int("axis", axis));
    public string Where(string condition, string ifTrue, string ifFalse, string? hint = null) => Op("Where", [condition, ifTrue, ifFalse], hint);

    public string ReduceMean(string x, long[] axes, bool keepDims = true, string? hint = null) =>
        Op("ReduceMean", [x, Int64s(axes)], hint, OnnxAttribute.Int("keepdims", keepDims ? 1 : 0));

    /// <summary>Dimensions [start, end) of the shape of <paramref name="x"/> as a 1-D int64 tensor.</summary>
    public string ShapeSlice(string x, long start, long end, string? hint = null) =>
        Op("Shape", [x], hint, OnnxAttribute.Int("start", start), OnnxAttribute.Int("end", end));

    // ---- control flow -----------------------------------------------------------------

    /// <summary>
    /// An ONNX If node: runs <paramref name="thenBranch"/> when the one-element bool
    /// <paramref name="condition"/> is true, else <paramref name="elseBranch"/>, and returns the
    /// chosen branch's single output. Each branch gets a body builder (names scoped under
    /// ".../then" or ".../else") whose nodes may read any value of the enclosing graphs by name,
    /// and returns the value it outputs; a value it did not compute itself (an outer value passed
    /// through) goes through an Identity, as ONNX Runtime wants body outputs produced in the body.
    /// Body outputs are declared with <paramref name="type"/> and, when given, <paramref name="dims"/>
    /// (ONNX requires the element type; the shape may be left out).
    /// </summary>
    public string If(string condition, Func<OnnxGraphBuilder, string> thenBranch, Func<OnnxGraphBuilder, string> elseBranch,
        DataType type, TensorDim[]? dims = null, string? hint = null)
    {
        GraphProto thenGraph = Body("then", thenBranch, type, dims);
        GraphProto elseGraph = Body("else", elseBranch, type, dims);
        return Op("If", [condition], hint, OnnxAttribute.Graph("then_branch", thenGraph), OnnxAttribute.Graph("else_branch", elseGraph));
    }

    GraphProto Body(string branch, Func<OnnxGraphBuilder, string> build, DataType type, TensorDim[]? dims)
    {
        using var _ = PushScope(branch);
        var body = new OnnxGraphBuilder(this, UniqueName("body"));
        string value = build(body);
        string output = body._produced.Contains(value) ? value : body.Op("Identity", [value], "output");
        body._graph.Output.Add(dims is null ? ValueInfo(output, type) : ValueInfo(output, type, dims));
        return body._graph;
    }

    // ---- model ------------------------------------------------------------------------

    /// <summary>Wraps the graph in a model (IR 9, default-domain opset 21). Call once, when the graph is complete.</summary>
    public OnnxModel Build(string producerName, string producerVersion, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (IsSubgraph) throw new InvalidOperationException("a control-flow body is built by its If, not into a model");
        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = producerName,
            ProducerVersion = producerVersion,
            Graph = _graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = OpsetVersion });
        if (_domains.Contains(MicrosoftDomain))
            model.OpsetImport.Add(new OperatorSetIdProto { Domain = MicrosoftDomain, Version = MicrosoftOpsetVersion });
        if (metadata != null)
            foreach (var (key, value) in metadata)
                model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        return new OnnxModel(model, _weights);
    }

    static NodeProto NewNode(string opType, IEnumerable<string> inputs, IEnumerable<string> outputs, string name, IEnumerable<AttributeProto> attributes)
    {
        var node = new NodeProto { OpType = opType, Name = name };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    /// <summary>A tensor value of known element type and unknown shape.</summary>
    static ValueInfoProto ValueInfo(string name, DataType type) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type } },
    };

    static ValueInfoProto ValueInfo(string name, DataType type, TensorDim[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(d.IsSymbolic ? new TensorShapeProto.Types.Dimension { DimParam = d.Symbol } : new TensorShapeProto.Types.Dimension { DimValue = d.Size });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    sealed class ScopeHandle(Stack<string> scopes) : IDisposable
    {
        bool _disposed;

        public void Dispose()
        {
            if (_disposed) return;
            _disposed = true;
            scopes.Pop();
        }
    }
}
