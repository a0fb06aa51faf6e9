using System.Collections.Immutable;
using AdmissionGuard.Core.Policy;

namespace AdmissionGuard.Core.Decisions;

public enum Operation
{
    Create,
    Update,
    Delete,
    Connect,
}

public sealed record UserInfo(string Username, ImmutableArray<string> Groups);

/// <summary>
/// What the decision needs from an AdmissionReview request. <see cref="Object"/> is null for DELETE,
/// <see cref="OldObject"/> for CREATE.
/// </summary>
public sealed record AdmissionInput(
    Operation Operation,
    string Namespace,
    string Name,
    CanonicalPolicy? Object,
    CanonicalPolicy? OldObject,
    UserInfo User,
    bool DryRun)
{
    public PolicyKey Id => new(Namespace, Name);
}
