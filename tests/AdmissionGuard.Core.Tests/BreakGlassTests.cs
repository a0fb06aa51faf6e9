using System.Collections.Immutable;
using System.Text.Json.Nodes;
using AdmissionGuard.Core.Decisions;
using static AdmissionGuard.Core.Tests.Requests;

namespace AdmissionGuard.Core.Tests;

/// <summary>Rule 7 of README.md's "How it decides": when the break-glass annotations are honoured, and what a refusal says.</summary>
public class BreakGlassTests
{
    private const string ReasonKey = "admissionguard.io/break-glass";
    private const string ExpiresKey = "admissionguard.io/break-glass-expires";

    public static TheoryData<string, string?, string?, string, string> Refused => new()
    {
        { "reason without expiry", "INC-1", null, "admin", "admissionguard.io/break-glass-expires is missing (RFC 3339 time, at most 4h ahead)" },
        { "expiry without reason", null, "2026-11-27T13:00:00Z", "admin", "must state a reason" },
        { "blank reason", "   ", "2026-11-27T13:00:00Z", "admin", "must state a reason" },
        { "expiry that is not a time", "INC-1", "tomorrow", "admin", "\"tomorrow\" is not an RFC 3339 time" },
        { "expiry without a time zone", "INC-1", "2026-11-27T13:00:00", "admin", "is not an RFC 3339 time" },
        { "expiry with a space instead of T", "INC-1", "2026-11-27 13:00:00Z", "admin", "is not an RFC 3339 time" },
        { "date-only expiry", "INC-1", "2026-11-27", "admin", "is not an RFC 3339 time" },
        { "expiry in the past", "INC-1", "2026-11-27T11:00:00Z", "admin", "it expired at 2026-11-27T11:00:00Z" },
        { "expiry exactly now", "INC-1", "2026-11-27T12:00:00Z", "admin", "it expired at 2026-11-27T12:00:00Z" },
        { "expiry beyond MaxDuration", "INC-1", "2026-11-27T16:00:01Z", "admin", "more than 4h from now" },
        { "expiry beyond MaxDuration written with an offset", "INC-1", "2026-11-27T18:00:00+01:00", "admin", "it expires at 2026-11-27T17:00:00Z, more than 4h from now" },
        { "user outside AllowedGroups", "INC-1", "2026-11-27T13:00:00Z", "alice", "alice is not in a group allowed to break glass (system:masters)" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public void Present_but_invalid_break_glass_is_refused_with_the_reason(string behaviour, string? reason, string? expires, string user, string refusal)
    {
        var result = BreakGlass.Evaluate(Annotated(reason, expires), User(user), new BreakGlassSettings(), Now);

        Assert.True(result.Present, behaviour);
        Assert.False(result.Valid, behaviour);
        Assert.Contains(refusal, result.Refusal);
    }

    public static TheoryData<string, string, string, string> Honoured => new()
    {
        { "expiry in UTC", "INC-1 failover", "2026-11-27T13:00:00Z", "2026-11-27T13:00:00Z" },
        { "expiry with an offset", "INC-1 failover", "2026-11-27T14:30:00+02:00", "2026-11-27T12:30:00Z" },
        { "expiry with fractional seconds", "INC-1 failover", "2026-11-27T13:00:00.250Z", "2026-11-27T13:00:00Z" },
        { "expiry exactly MaxDuration ahead", "INC-1 failover", "2026-11-27T16:00:00Z", "2026-11-27T16:00:00Z" },
        { "reason and expiry with surrounding spaces", "  INC-1 failover  ", " 2026-11-27T13:00:00Z ", "2026-11-27T13:00:00Z" },
    };

    [Theory]
    [MemberData(nameof(Honoured))]
    public void Valid_break_glass_is_honoured(string behaviour, string reason, string expires, string expected)
    {
        var result = BreakGlass.Evaluate(Annotated(reason, expires), Admin, new BreakGlassSettings(), Now);

        Assert.True(result.Valid, $"{behaviour}: {result.Refusal}");
        Assert.Equal("INC-1 failover", result.Reason);
        Assert.Equal(expected, BreakGlass.Format(result.Expires!.Value));
    }

    [Fact]
    public void No_annotations_is_no_break_glass()
    {
        var result = BreakGlass.Evaluate(Annotated(null, null, """{"note":"x"}"""), Admin, new BreakGlassSettings(), Now);

        Assert.False(result.Present);
        Assert.False(result.Valid);
        Assert.False(BreakGlass.Evaluate(null, Admin, new BreakGlassSettings(), Now).Present);
    }

    [Fact]
    public void Configured_annotations_groups_and_duration_are_used()
    {
        var settings = new BreakGlassSettings
        {
            Annotation = "example.com/emergency",
            ExpiresAnnotation = "example.com/emergency-until",
            MaxDuration = TimeSpan.FromMinutes(30),
            AllowedGroups = ["oncall", "sre"],
        };
        var oncall = new UserInfo("bob", ["system:authenticated", "sre"]);
        var policy = Annotated(null, null, """{"example.com/emergency":"INC-7","example.com/emergency-until":"2026-11-27T12:20:00Z"}""");
        var tooLong = Annotated(null, null, """{"example.com/emergency":"INC-7","example.com/emergency-until":"2026-11-27T12:40:00Z"}""");
        var defaultKeys = Annotated("INC-7", "2026-11-27T12:20:00Z");

        Assert.True(BreakGlass.Evaluate(policy, oncall, settings, Now).Valid);
        Assert.Contains("more than 30m from now", BreakGlass.Evaluate(tooLong, oncall, settings, Now).Refusal);
        Assert.Contains("(oncall, sre)", BreakGlass.Evaluate(policy, Admin, settings, Now).Refusal);
        Assert.False(BreakGlass.Evaluate(defaultKeys, oncall, settings, Now).Present);
    }

    [Fact]
    public void Nobody_may_break_glass_when_no_group_is_allowed()
    {
        var settings = new BreakGlassSettings { AllowedGroups = ImmutableArray<string>.Empty };

        Assert.False(BreakGlass.Evaluate(Annotated("INC-1", "2026-11-27T13:00:00Z"), Admin, settings, Now).Valid);
    }

    private static UserInfo User(string name) => name == "admin" ? Admin : Alice;

    private static Policy.CanonicalPolicy Annotated(string? reason, string? expires, string extra = "{}")
    {
        var annotations = JsonNode.Parse(extra)!.AsObject();
        if (reason is not null)
        {
            annotations[ReasonKey] = reason;
        }

        if (expires is not null)
        {
            annotations[ExpiresKey] = expires;
        }

        return Web(Declared, new JsonObject { ["annotations"] = annotations }.ToJsonString());
    }
}
