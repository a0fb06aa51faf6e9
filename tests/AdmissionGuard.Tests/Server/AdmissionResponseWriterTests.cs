using System.Buffers;
using System.Text;
using AdmissionGuard.Admission;
using AdmissionGuard.Core.Decisions;

namespace AdmissionGuard.Tests.Server;

/// <summary>The AdmissionReview response, byte for byte: what the API server reads and kubectl shows.</summary>
public class AdmissionResponseWriterTests
{
    public static TheoryData<string, Decision, string> Responses => new()
    {
        {
            "allowed: uid and allowed only",
            new Decision(true, DecisionReason.MatchesGit, GuardMode.Enforce, "", []),
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":true}}"""
        },
        {
            "denied: a 403 status with the message, quotes and '<' unescaped for kubectl",
            new Decision(false, DecisionReason.DiffersFromGit, GuardMode.Enforce, "NetworkPolicy shop/web differs from Git:\n- \"port\" <5432>", []),
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":false,"status":{"code":403,"reason":"Forbidden","message":"NetworkPolicy shop/web differs from Git:\n- \"port\" <5432>"}}}"""
        },
        {
            "warned: allowed with warnings",
            new Decision(true, DecisionReason.DiffersFromGit, GuardMode.Warn, "warn", ["AdmissionGuard warn mode: allowed", "- spec.ingress: rule added"]) { Warned = true },
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":true,"warnings":["AdmissionGuard warn mode: allowed","- spec.ingress: rule added"]}}"""
        },
        {
            "denied with warnings: the status, then the warnings; non-ASCII text as it is, control characters escaped",
            new Decision(false, DecisionReason.DeleteDeclaredInGit, GuardMode.Enforce, "équipe\tprod & <ops>", ["break-glass annotation ignored: \"expired\""]),
            """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","response":{"uid":"u-1","allowed":false,"status":{"code":403,"reason":"Forbidden","message":"équipe\tprod & <ops>"},"warnings":["break-glass annotation ignored: \"expired\""]}}"""
        },
    };

    [Theory]
    [MemberData(nameof(Responses))]
    public void Writes_the_response_the_API_server_expects(string because, Decision decision, string expected)
    {
        var output = new ArrayBufferWriter<byte>();

        AdmissionResponseWriter.Write(output, "u-1", decision);

        Assert.True(expected == Encoding.UTF8.GetString(output.WrittenSpan), $"{because}: {Encoding.UTF8.GetString(output.WrittenSpan)}");
    }
}
