using AdmissionGuard.Core.Decisions;
using static AdmissionGuard.Core.Tests.Requests;

namespace AdmissionGuard.Core.Tests;

/// <summary>Every deny says what differs, where the policy lives in Git (path@shortsha), and what to do.</summary>
public class DenyMessageTests
{
    public static TheoryData<string, AdmissionInput, string[]> Denials => new()
    {
        {
            "CREATE that opens a port names the rule, the Git location and the way forward",
            Create(Web(Opened)),
            ["NetworkPolicy shop/web", "spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432", "policies/shop/web.yaml@0123456", "Fix:", "admissionguard.io/break-glass"]
        },
        {
            "UPDATE that widens a rule names the port and the Git location",
            Update(Web(Declared), Web(Widened)),
            ["spec.ingress: rule from podSelector app=frontend: port TCP/9090 added", "policies/shop/web.yaml@0123456", "Fix:"]
        },
        {
            "DELETE of a declared policy says to remove it in Git",
            Delete(Web(Declared)),
            ["shop/web", "policies/shop/web.yaml@0123456", "policies/shop/web.yaml", "Fix:"]
        },
        {
            "CREATE of an undeclared policy names the commit and says to add it to Git",
            Create(Other(Declared)),
            ["shop/undeclared", "main@0123456", "not declared in Git", "Fix:"]
        },
    };

    [Theory]
    [MemberData(nameof(Denials))]
    public void Deny_message_says_what_where_and_what_to_do(string behaviour, AdmissionInput input, string[] fragments)
    {
        var decision = Decide.Admission(input, Git, Requests.Settings, Now);

        Assert.False(decision.Allowed, behaviour);
        foreach (var fragment in fragments)
        {
            Assert.True(decision.Message.Contains(fragment, StringComparison.Ordinal), $"{behaviour}: \"{fragment}\" missing from:\n{decision.Message}");
        }

        var lines = decision.Message.Split('\n');
        Assert.InRange(lines.Length, 2, 10);
        Assert.DoesNotContain(lines, line => line.Contains(Commit, StringComparison.Ordinal));
    }

    [Fact]
    public void Deny_message_fits_the_warning_limits_when_shown_in_warn_mode()
    {
        var settings = Requests.Settings with { Mode = GuardMode.Warn };

        var decision = Decide.Admission(Update(Web(Opened), Web(Widened)), Git, settings, Now);

        Assert.True(decision.Allowed);
        Assert.All(decision.Warnings, w => Assert.True(w.Length <= WarningLines.MaxLineLength, w));
        Assert.Contains(decision.Warnings, w => w.Contains("already differs", StringComparison.Ordinal));
    }
}
