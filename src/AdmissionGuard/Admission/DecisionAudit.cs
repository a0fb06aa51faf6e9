using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using Serilog.Events;
using Serilog.Parsing;

namespace AdmissionGuard.Admission;

// The audit fields beyond the message text are structured properties on purpose.
#pragma warning disable SYSLIB1015
#pragma warning disable SA1313, IDE1006 // PascalCase parameters become PascalCase log properties.

/// <summary>The audit trail: exactly one structured event per admission decision; break-glass uses at Warning.</summary>
/// <remarks>
/// Decision events are built as Serilog events directly, from parsed templates and named properties: the
/// <c>Microsoft.Extensions.Logging</c> path would box every field into its state and bind each again, on
/// the request's thread, for every admission request.
/// </remarks>
internal sealed partial class DecisionAudit(ILogger<DecisionAudit> logger, Serilog.ILogger events)
{
    private static readonly MessageTemplate AdmissionTemplate = new MessageTemplateParser().Parse("{Result} {Operation} {Namespace}/{Name} by {User}: {Reason}");
    private static readonly MessageTemplate BreakGlassTemplate = new MessageTemplateParser().Parse("Break-glass: {Operation} {Namespace}/{Name} by {User} allowed outside Git");

    private readonly Serilog.ILogger _events = events.ForContext<DecisionAudit>();

    public void Decided(string uid, string requestId, AdmissionInput input, Decision decision, Baseline? baseline)
    {
        var level = decision.BreakGlassUsed ? LogEventLevel.Warning : LogEventLevel.Information;
        if (!_events.IsEnabled(level))
        {
            return;
        }

        // The request's trace and span (@tr, @sp), as every other event of the request carries them.
        var activity = System.Diagnostics.Activity.Current;
        _events.Write(new LogEvent(DateTimeOffset.UtcNow, level, null, decision.BreakGlassUsed ? BreakGlassTemplate : AdmissionTemplate, [
            Property("Uid", uid),
            Property("RequestId", requestId),
            Property("Operation", input.Operation),
            Property("Namespace", input.Namespace),
            Property("Name", input.Name),
            Property("User", input.User.Username),
            Property("Groups", string.Join(',', input.User.Groups)),
            Property("Allowed", decision.Allowed),
            Property("Result", decision.Result),
            Property("Reason", decision.Reason),
            Property("Mode", decision.Mode),
            Property("DryRun", input.DryRun),
            Property("BaselineCommit", baseline?.Commit ?? "none"),
            Property("Detail", decision.Message),
        ], activity?.TraceId ?? default, activity?.SpanId ?? default));
    }

    private static LogEventProperty Property(string name, object value) => new(name, new ScalarValue(value));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission request for {Resource} allowed without review: the webhook configuration should only send networkpolicies.v1.networking.k8s.io")]
    public partial void OtherResource(string Uid, string Resource);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Bad admission request from {RemoteAddress}: {Problem}")]
    public partial void BadRequest(string? RemoteAddress, string Problem);
}
