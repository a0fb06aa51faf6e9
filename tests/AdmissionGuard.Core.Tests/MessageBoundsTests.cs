using System.Text;
using AdmissionGuard.Core.Decisions;
using static AdmissionGuard.Core.Tests.Requests;

namespace AdmissionGuard.Core.Tests;

/// <summary>A deny message stays within 4 KiB and one screen's lines, whatever the request held.</summary>
public class MessageBoundsTests
{
    private const string Header = "NetworkPolicy shop/web differs from Git (policies/shop/web.yaml@0123456):";
    private const string Fix = "Fix: change policies/shop/web.yaml in Git and let the GitOps sync apply it.";

    [Fact]
    public void A_message_within_bounds_is_unchanged()
    {
        var message = $"{Header}\n- spec.ingress: rule added: from ipBlock 0.0.0.0/0 port TCP/5432\n{Fix}";

        Assert.Equal(message, MessageBounds.Apply(message));
    }

    [Fact]
    public void Differences_past_4_KiB_are_counted_in_one_line_and_the_other_lines_are_kept()
    {
        var differences = Enumerable.Range(1, 500).Select(i => $"- spec.ingress: rule added: from ipBlock 10.0.{i / 256}.{i % 256}/32 port TCP/{i}");
        var message = string.Join('\n', [Header, .. differences, Fix]);

        var bounded = MessageBounds.Apply(message);
        var lines = bounded.Split('\n');

        Assert.True(Encoding.UTF8.GetByteCount(bounded) <= MessageBounds.MaxBytes);
        Assert.Equal(Header, lines[0]);
        Assert.Equal("- spec.ingress: rule added: from ipBlock 10.0.0.1/32 port TCP/1", lines[1]);
        Assert.Equal(Fix, lines[^1]);
        Assert.Matches(@"^- \+\d+ more differences$", lines[^2]);
        Assert.Equal(500, lines.Length - 3 + int.Parse(lines[^2].Split(' ')[1].TrimStart('+'), System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void A_line_of_megabytes_is_cut_and_its_controls_escaped()
    {
        var message = $"{Header}\n- spec.podSelector: changed from {{app=web}} to {{app={new string('x', 5_000_000)}\u001b}}\n{Fix}";

        var bounded = MessageBounds.Apply(message);

        Assert.True(Encoding.UTF8.GetByteCount(bounded) <= MessageBounds.MaxBytes);
        Assert.Equal(3, bounded.Split('\n').Length);
        Assert.Contains("more)", bounded.Split('\n')[1], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(GuardMode.Enforce)]
    [InlineData(GuardMode.Warn)]
    public void A_deny_for_a_label_value_of_5_MB_is_at_most_4_KiB_and_counts_every_difference(GuardMode mode)
    {
        var huge = new string('v', 5_000_000);
        var proposed = Web($$$"""{"podSelector":{"matchLabels":{"app":"{{{huge}}}"}},"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0"}}]}]}""");

        var decision = Decide.Admission(Create(proposed), Git, Settings with { Mode = mode }, Now);

        Assert.Equal(mode == GuardMode.Warn, decision.Allowed);
        Assert.Equal(3, decision.Differences);
        Assert.True(Encoding.UTF8.GetByteCount(decision.Message) <= MessageBounds.MaxBytes, $"{decision.Message.Length} characters");
        Assert.Contains($"- spec.podSelector: changed from app=web to app={new string('v', 100)}…(4999900 more)\n", decision.Message, StringComparison.Ordinal);
        Assert.All(decision.Warnings, warning => Assert.True(warning.Length <= WarningLines.MaxLineLength));
        Assert.True(decision.Warnings.Sum(w => Encoding.UTF8.GetByteCount(w)) < WarningLines.MaxTotalBytes);
    }

    [Fact]
    public void The_warning_for_another_resource_is_one_line_of_at_most_120_characters()
    {
        var decision = Decide.OtherResource("networkpolicies.v1beta1.extensions" + new string('x', 1000), GuardMode.Enforce);

        Assert.True(decision.Allowed);
        var warning = Assert.Single(decision.Warnings);
        Assert.True(warning.Length <= WarningLines.MaxLineLength, $"{warning.Length}: {warning}");
        Assert.StartsWith("AdmissionGuard allowed networkpolicies.v1beta1.ext", warning, StringComparison.Ordinal);
    }
}
