using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Scalars for tensor arithmetic on the model's hot paths, held for the life of the process.
/// </summary>
/// <remarks>
/// TorchSharp 0.107 turns each number in a tensor expression into a Scalar that only its finalizer
/// frees, and so does the implicit alpha of 1 in <c>a + b</c>. (<c>a - b</c> passes no alpha.) It reads the Scalar's
/// handle before the native call and nothing keeps the Scalar alive during it, so a collection during
/// the call can free it mid-call (dotnet/TorchSharp#1434). That was seen once in the suite as
/// "Exception raised from toFloat" inside a LoRA projection's <c>a + b</c>. These Scalars are never
/// collected. Their values are few: 1, 2, −∞ (the causal mask), the norms' eps, 1/√head_dim and the LoRA scales. (TorchSharp's <c>square()</c> is <c>pow(2)</c> with a temporary Scalar.)
/// </remarks>
internal static class KeptScalars
{
    static readonly ConcurrentDictionary<double, Scalar> Values = new();

    public static readonly Scalar One = 1.0.ToScalar();

    public static readonly Scalar Two = 2.0.ToScalar();

    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();

    public static Scalar Of(double value) => Values.GetOrAdd(value, static v => v.ToScalar());

    /// <summary>a + b, with a kept alpha.</summary>
    public static Tensor Plus(Tensor a, Tensor b) => a.add(b, One);
}
