using System.Text;
using System.Text.RegularExpressions;
using AdmissionGuard.Core.Policy;
using AdmissionGuard.Core.Reporting;

namespace AdmissionGuard.Core.Tests.Reporting;

/// <summary>An Event's note fits the API server's limit, and its name finds the same Event again.</summary>
public partial class DriftEventTests
{
    private static readonly DriftItem Db = new("shop", "db", DriftType.Modified, ["spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432"], "shop/db.yaml");

    [Fact]
    public void A_note_longer_than_1_KiB_is_cut_and_says_how_much_more_there_was()
    {
        var differences = Enumerable.Range(0, 100).Select(i => $"spec.ingress: rule added: from ipBlock 10.{i}.0.0/16 port TCP/5432").ToArray();

        var note = DriftEvent.Detected(Db with { Differences = [.. differences] }).Note;

        Assert.True(Encoding.UTF8.GetByteCount(note) <= 1024, $"{Encoding.UTF8.GetByteCount(note)} bytes");
        Assert.Matches(@"…\(\d+ more\)$", note);
        Assert.StartsWith("NetworkPolicy shop/db differs from Git (shop/db.yaml): spec.ingress: rule added: from ipBlock 10.0.0.0/16", note, StringComparison.Ordinal);
    }

    [Fact]
    public void A_note_is_one_line_whatever_the_live_object_holds()
    {
        var note = DriftEvent.Detected(Db with { Name = "db", Differences = ["metadata.annotations: note \"a\nb\" added"] }).Note;

        Assert.DoesNotContain('\n', note);
    }

    public static TheoryData<string, DriftEvent, string?, DriftEvent, string?, bool> Names => new()
    {
        { "the same reason, note and object", DriftEvent.Detected(Db), "uid-1", DriftEvent.Detected(Db), "uid-1", true },
        { "another reason", DriftEvent.Detected(Db), "uid-1", DriftEvent.Changed(Db), "uid-1", false },
        { "another note", DriftEvent.Detected(Db), "uid-1", DriftEvent.Detected(Db with { Differences = ["spec.podSelector: changed"] }), "uid-1", false },
        { "the policy deleted and created again", DriftEvent.Detected(Db), "uid-1", DriftEvent.Detected(Db), "uid-2", false },
        { "another namespace", DriftEvent.Detected(Db), null, DriftEvent.Detected(Db with { Namespace = "billing" }), null, false },
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void The_same_Event_has_the_same_name(string because, DriftEvent first, string? firstUid, DriftEvent second, string? secondUid, bool same)
    {
        Assert.True(same == (first.Name(firstUid) == second.Name(secondUid)), because);
    }

    [Theory]
    [InlineData("db")]
    [InlineData("a-very-long-name-that-fills-the-limit")]
    public void A_name_is_the_policys_then_a_hash_and_a_valid_DNS_subdomain(string name)
    {
        var policy = name.Length > 10 ? string.Concat(Enumerable.Repeat(name + ".", 8))[..250] + "-x" : name;
        var eventName = DriftEvent.Detected(Db with { Name = policy }).Name("uid");

        Assert.True(eventName.Length <= 253, $"{eventName.Length}");
        Assert.Matches(DnsSubdomain(), eventName);
        Assert.StartsWith(policy[..Math.Min(policy.Length, 200)], eventName, StringComparison.Ordinal);
    }

    [Fact]
    public void Remediated_is_Normal_with_the_action_that_was_taken()
    {
        var remediated = DriftEvent.Remediated(new PolicyKey("shop", "db"), "Apply", "NetworkPolicy shop/db restored to Git 827d35d");

        Assert.Equal((DriftEventReason.Remediated, "Normal", "Apply"), (remediated.Reason, remediated.Type, remediated.Action));
    }

    [GeneratedRegex(@"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")]
    private static partial Regex DnsSubdomain();
}
