using System.Diagnostics.CodeAnalysis;
namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Specs known before a review arrives, with their bytes as the API server serves them (<see cref="ServedSpec"/>):
/// a review's spec equal to one of them byte for byte is recognised without being read.
/// </summary>
public interface IKnownSpecs
{
    /// <summary>The spec known for <paramref name="key"/> and its served bytes; false when none is known or it could not be rendered.</summary>
    bool TryGet(PolicyKey key, [MaybeNullWhen(false)] out byte[] servedSpec, [MaybeNullWhen(false)] out PolicySpec spec);
}
