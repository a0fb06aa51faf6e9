using System.Collections.Immutable;

namespace AdmissionGuard.Core.Decisions;

/// <summary>Why a request was allowed or denied; also the audit log's and metrics' reason label.</summary>
public enum DecisionReason
{
    NamespaceNotGoverned,
    TrustedUser,
    SystemDeleter,
    MatchesGit,
    GovernedStateUnchanged,
    UnmanagedAllowed,
    BaselineUnavailableAllowed,
    BreakGlass,
    DiffersFromGit,
    UnmanagedDenied,
    DeleteDeclaredInGit,
    BaselineUnavailableDenied,
    NotANetworkPolicy,

    /// <summary>CONNECT: not a write of a NetworkPolicy (none exists; the webhook's rules do not ask for it).</summary>
    NotAWrite,
}

/// <summary>
/// The answer to one admission request. <see cref="Allowed"/> is what the API server is told;
/// in Warn mode a would-be deny is allowed with <see cref="Warned"/> set and the message as warnings.
/// </summary>
public sealed record Decision(
    bool Allowed,
    DecisionReason Reason,
    GuardMode Mode,
    string Message,
    ImmutableArray<string> Warnings)
{
    /// <summary>A deny that Warn mode turned into an allow.</summary>
    public bool Warned { get; init; }

    /// <summary>A change that only a valid break-glass annotation let through.</summary>
    public bool BreakGlassUsed => Reason == DecisionReason.BreakGlass;

    /// <summary>How many differences from Git the request has, all of them, however many the message shows.</summary>
    public int Differences { get; init; }

    /// <summary>A trusted write disagreed with the cached baseline: Git is probably ahead of it.</summary>
    public bool BaselineLooksStale { get; init; }

    /// <summary>allowed, denied, warned or break-glass: the result label of logs and metrics.</summary>
    public string Result => BreakGlassUsed ? "break-glass" : Warned ? "warned" : Allowed ? "allowed" : "denied";
}
