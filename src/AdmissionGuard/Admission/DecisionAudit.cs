using System.Collections.Immutable;
using System.Globalization;
using AdmissionGuard.Core;
using AdmissionGuard.Core.Decisions;
using AdmissionGuard.Core.Policy;
using Serilog.Events;
using Serilog.Parsing;

namespace AdmissionGuard.Admission;

// The audit fields beyond the message text are structured properties on purpose.
#pragma warning disable SYSLIB1015
#pragma warning disable SA1313, IDE1006 // PascalCase parameters become PascalCase log properties.

/// <summary>The audit trail: exactly one structured event per admission decision; break-glass uses at Warning.</summary>
/// <remarks>
/// Decision events are built as Serilog events directly, from parsed templates and a property dictionary
/// that the event keeps: the <c>Microsoft.Extensions.Logging</c> path would box every field into its state
/// and bind each again, on the request's thread, for every admission request. Values that repeat (enums,
/// booleans, the baseline commit) are made once.
/// </remarks>
internal sealed partial class DecisionAudit(ILogger<DecisionAudit> logger, Serilog.ILogger events)
{
    private static readonly MessageTemplate AdmissionTemplate = new MessageTemplateParser().Parse("{Result} {Operation} {Namespace}/{Name} by {User}: {Reason}");
    private static readonly MessageTemplate BreakGlassTemplate = new MessageTemplateParser().Parse("Break-glass: {Operation} {Namespace}/{Name} by {User} allowed outside Git");

    private const int PropertyCapacity = 18;

    /// <summary>Operations as the AdmissionReview and the metrics spell them (<c>CREATE</c>), so a log query and a metric label agree.</summary>
    private static readonly ScalarValue[] Operations = [.. Enum.GetValues<Operation>().Select(o => new ScalarValue(o.ToString().ToUpperInvariant()))];
    private static readonly ScalarValue[] Reasons = ByNumber(typeof(DecisionReason));
    private static readonly ScalarValue[] Modes = ByNumber(typeof(GuardMode));
    private static readonly ScalarValue True = new(true);
    private static readonly ScalarValue False = new(false);
    private static readonly ScalarValue Empty = new("");

    private readonly Serilog.ILogger _events = events.ForContext<DecisionAudit>();
    private ScalarValue? _commit;

    public void Decided(string uid, string requestId, AdmissionInput input, Decision decision, Baseline? baseline)
    {
        var level = decision.BreakGlassUsed ? LogEventLevel.Warning : LogEventLevel.Information;
        if (!_events.IsEnabled(level))
        {
            return;
        }

        // Sized for these fields and the source context the logger adds.
        var properties = new Dictionary<string, LogEventPropertyValue>(PropertyCapacity)
        {
            ["Uid"] = new ScalarValue(uid),
            ["RequestId"] = new ScalarValue(requestId),
            ["Operation"] = Operations[(int)input.Operation],
            ["Namespace"] = new ScalarValue(Excerpt.Of(input.Namespace)),
            ["Name"] = new ScalarValue(Excerpt.Of(input.Name, NameLength)),
            ["User"] = new ScalarValue(Excerpt.Of(input.User.Username, BreakGlass.UserLength)),
            ["Groups"] = new ScalarValue(Groups(input.User.Groups)),
            ["Allowed"] = decision.Allowed ? True : False,
            ["Result"] = new ScalarValue(decision.Result),
            ["Reason"] = Of(Reasons, (int)decision.Reason),
            ["Mode"] = Of(Modes, (int)decision.Mode),
            ["DryRun"] = input.DryRun ? True : False,
            ["BaselineCommit"] = Commit(baseline?.Commit ?? "none"),
            ["Detail"] = decision.Message.Length == 0 ? Empty : new ScalarValue(decision.Message),
        };
        if (decision.Differences > 0)
        {
            // The message shows what fits in 4 KiB; the count is whole, and the hash tells one attempted spec from another.
            properties["Differences"] = new ScalarValue(decision.Differences);
            properties["ObjectHash"] = new ScalarValue(Hash(input.Object));
        }

        // The request's trace and span (@tr, @sp) when something makes activities for requests (an OpenTelemetry
        // agent); the guard itself does not, and RequestId already carries a traceparent's trace id.
        var activity = System.Diagnostics.Activity.Current;
        _events.Write(LogEvent.UnstableAssembleFromParts(
            DateTimeOffset.UtcNow, level, null, decision.BreakGlassUsed ? BreakGlassTemplate : AdmissionTemplate, properties,
            activity?.TraceId ?? default, activity?.SpanId ?? default));
    }

    /// <summary>Names are at most 253 characters at the API server; only a request sent around it has longer ones.</summary>
    private const int NameLength = 260;

    /// <summary>Every group, each bounded, and at most a line's worth: a request sent around the API server can claim thousands.</summary>
    private static string Groups(ImmutableArray<string> groups)
    {
        var length = 0;
        foreach (var group in groups)
        {
            length += group.Length + 1;
        }

        return length <= MaxGroupsLength
            ? string.Join(',', groups)
            : Excerpt.Of(string.Join(',', groups.Take(MaxGroupsLength / 2).Select(group => Excerpt.Of(group, BreakGlass.UserLength))), MaxGroupsLength);
    }

    private const int MaxGroupsLength = 2048;

    /// <summary>The first 16 hex digits of the SHA-256 of the object's canonical spec (the same for equivalent specs).</summary>
    private static string Hash(CanonicalPolicy? policy)
    {
        if (policy is null)
        {
            return "";
        }

        // The key's UTF-16 code units, hashed in place: a spec of megabytes is not copied again to be hashed.
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(policy.Spec.Key.AsSpan());
        Span<byte> hash = stackalloc byte[32];
        System.Security.Cryptography.SHA256.HashData(bytes, hash);
        return "sha256:" + Convert.ToHexStringLower(hash[..8]);
    }

    /// <summary>The commit's value, made again only when the baseline moves to another commit.</summary>
    private ScalarValue Commit(string commit)
    {
        var last = _commit;
        if (last is not null && ReferenceEquals(last.Value, commit))
        {
            return last;
        }

        return _commit = new ScalarValue(commit);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Admission request for {Resource} allowed without review: the webhook configuration should only send networkpolicies.v1.networking.k8s.io")]
    public partial void OtherResource(string Uid, string Resource);

    /// <param name="RequestId">The caller's trace id from <c>traceparent</c>, else Kestrel's connection and request number.</param>
    [LoggerMessage(Level = LogLevel.Warning, Message = "Bad admission request from {RemoteAddress}: {Problem}")]
    public partial void BadRequest(string? RemoteAddress, string Problem, string RequestId);

    /// <summary>Each member of an enum as a log value, at its number: made once, looked up without hashing or boxing.</summary>
    /// <remarks>
    /// Not a frozen dictionary per enum: building those compiled a few dozen generic methods for value types on a new pod's
    /// first decision, which waited for them.
    /// </remarks>
    internal static ScalarValue[] ByNumber(Type enumType)
    {
        var members = Enum.GetValues(enumType).Cast<Enum>().ToArray();
        var values = new ScalarValue[members.Max(member => Convert.ToInt32(member, CultureInfo.InvariantCulture)) + 1];
        foreach (var member in members)
        {
            values[Convert.ToInt32(member, CultureInfo.InvariantCulture)] = new ScalarValue(member);
        }

        return values;
    }

    /// <summary>
    /// The value made for the member with this number. A number no member has (a cast) is written as its digits, as the
    /// enum would name it, rather than thrown on: an audit line never fails a review.
    /// </summary>
    internal static ScalarValue Of(ScalarValue[] values, int number) =>
        (uint)number < (uint)values.Length && values[number] is { } made ? made : new ScalarValue(number.ToString(CultureInfo.InvariantCulture));
}
