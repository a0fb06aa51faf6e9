using System.Diagnostics.CodeAnalysis;
namespace AdmissionGuard.Core.Policy;

/// <summary>
/// Specs known before a review arrives, with the digest of their bytes as the API server serves them (<see cref="ServedSpec"/>):
/// a review's spec whose bytes have that digest is recognised without being read.
/// </summary>
public interface IKnownSpecs
{
    /// <summary>The spec known for <paramref name="key"/> and its served bytes' digest; false when none is known or it could not be rendered.</summary>
    bool TryGet(PolicyKey key, out SpecDigest servedDigest, [MaybeNullWhen(false)] out PolicySpec spec);
}
