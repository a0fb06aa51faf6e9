using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Admission;

// The audit fields beyond the message text are structured properties on purpose.
#pragma warning disable SYSLIB1015
#pragma warning disable SA1313, IDE1006 // PascalCase parameters become PascalCase log properties.

/// <summary>The audit trail: exactly one structured event per admission decision; break-glass uses at Warning.</summary>
internal sealed partial class DecisionAudit(ILogger<DecisionAudit> logger)
{
    public void Decided(string uid, string requestId, AdmissionInput input, Decision decision, Baseline? baseline)
    {
        var groups = string.Join(',', input.User.Groups);
        var commit = baseline?.Commit ?? "none";
        if (decision.BreakGlassUsed)
        {
            BreakGlassUsed(uid, requestId, input.Operation, input.Namespace, input.Name, input.User.Username, groups, decision.Allowed, decision.Result, decision.Reason, decision.Mode, input.DryRun, commit, decision.Message);
        }
        else
        {
            Admission(uid, requestId, input.Operation, input.Namespace, input.Name, input.User.Username, groups, decision.Allowed, decision.Result, decision.Reason, decision.Mode, input.DryRun, commit, decision.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Result} {Operation} {Namespace}/{Name} by {User}: {Reason}")]
    private partial void Admission(
        string Uid, string RequestId, Operation Operation, string Namespace, string Name, string User, string Groups, bool Allowed,
        string Result, DecisionReason Reason, GuardMode Mode, bool DryRun, string BaselineCommit, string Detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Break-glass: {Operation} {Namespace}/{Name} by {User} allowed outside Git")]
    private partial void BreakGlassUsed(
        string Uid, string RequestId, Operation Operation, string Namespace, string Name, string User, string Groups, bool Allowed,
        string Result, DecisionReason Reason, GuardMode Mode, bool DryRun, string BaselineCommit, string Detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission request for {Resource} allowed without review: the webhook configuration should only send networkpolicies.v1.networking.k8s.io")]
    public partial void OtherResource(string Uid, string Resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bad admission request from {RemoteAddress}: {Problem}")]
    public partial void BadRequest(string? RemoteAddress, string Problem);
}
