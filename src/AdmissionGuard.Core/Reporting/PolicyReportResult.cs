using System.Collections.Immutable;

namespace AdmissionGuard.Core.Reporting;

/// <summary>
/// One result of a namespace's PolicyReport: one NetworkPolicy, equal to Git (<c>pass</c>) or drifted
/// (<c>fail</c>, with what differs). <see cref="Timestamp"/> is when this finding was first made, so that
/// a report whose findings did not change is the same report (and is not written again).
/// </summary>
public sealed record PolicyReportResult(
    string Name,
    string? Uid,
    string Rule,
    bool Passed,
    string Message,
    ImmutableSortedDictionary<string, string> Properties,
    DateTimeOffset Timestamp)
{
    /// <summary>One of the CRD's values (pass, fail, warn, error, skip): any other is refused with 422.</summary>
    public string Result => Passed ? "pass" : "fail";

    /// <summary>One of the CRD's values (critical, high, low, medium, info); none for a pass.</summary>
    public string? Severity => Passed ? null : "high";

    /// <summary>The same finding, whenever it was made.</summary>
    public bool SameFinding(PolicyReportResult other) => Equals(other with { Timestamp = Timestamp });

    public bool Equals(PolicyReportResult? other) =>
        other is not null
        && Name == other.Name && Uid == other.Uid && Rule == other.Rule && Passed == other.Passed && Message == other.Message
        && Timestamp == other.Timestamp && Properties.SequenceEqual(other.Properties);

    public override int GetHashCode() => HashCode.Combine(Name, Rule, Passed, Message, Timestamp);
}
