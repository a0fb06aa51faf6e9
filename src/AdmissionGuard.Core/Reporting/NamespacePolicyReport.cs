using System.Collections.Immutable;

namespace AdmissionGuard.Core.Reporting;

/// <summary>The PolicyReport of one namespace: a result per governed NetworkPolicy, sorted by name and rule.</summary>
public sealed record NamespacePolicyReport(string Namespace, ImmutableArray<PolicyReportResult> Results)
{
    public int Pass => Results.Count(r => r.Passed);

    public int Fail => Results.Count(r => !r.Passed);

    public bool Equals(NamespacePolicyReport? other) =>
        other is not null && Namespace == other.Namespace && Results.SequenceEqual(other.Results);

    public override int GetHashCode() => HashCode.Combine(Namespace, Results.Length);
}
