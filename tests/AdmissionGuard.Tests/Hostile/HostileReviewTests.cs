using System.Buffers;
using System.Text;
using AdmissionGuard.Admission;

namespace AdmissionGuard.Tests.Hostile;

/// <summary>
/// Malformed and adversarial AdmissionReview bodies: each is read or refused with a
/// <see cref="BadReviewException"/> (HTTP 400), never another exception.
/// </summary>
public sealed class HostileReviewTests
{
    public static TheoryData<string, string, string> Adversarial()
    {
        var fixture = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver", "create.json"));
        return new TheoryData<string, string, string>
        {
            { "deeply nested arrays", new string('[', 100_000) + new string(']', 100_000), "body is not JSON" },
            { "deep object in the policy", fixture.Replace("\"status\": {}", "\"status\": " + string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200), StringComparison.Ordinal), "body is not JSON" },
            { "truncated", fixture[..(fixture.Length / 2)], "body is not JSON" },
            { "empty body", "", "body is not JSON" },
            { "a JSON string", "\"AdmissionReview\"", "not an admission.k8s.io/v1 AdmissionReview" },
            { "request is a list", """{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":[]}""", "AdmissionReview has no request" },
            { "uid is a number", fixture.Replace("\"uid\": \"7d38d3e3-24a0-4500-b566-160b100043dc\"", "\"uid\": 7", StringComparison.Ordinal), "request.uid is missing" },
            { "userInfo is a string", fixture.Replace("\"userInfo\": {", "\"userInfo\": \"admin\", \"x\": {", StringComparison.Ordinal), "request.userInfo is missing" },
            { "object is a string", fixture.Replace("\"object\": {", "\"object\": \"policy\", \"y\": {", StringComparison.Ordinal), "request.object is not an object" },
            { "annotation value is a number", fixture.Replace("\"annotations\": {", "\"annotations\": {\"n\": 1,", StringComparison.Ordinal), "request.object.metadata.annotations.n: must be a string" },
            { "unknown operation", fixture.Replace("\"operation\": \"CREATE\"", "\"operation\": \"PATCH\"", StringComparison.Ordinal), "request.operation \"PATCH\"" },
            { "lone surrogate", fixture.Replace("\"admin\"", "\"\\ud800\"", StringComparison.Ordinal), "not valid Unicode" },
        };
    }

    [Theory]
    [MemberData(nameof(Adversarial))]
    public void An_adversarial_review_is_refused_with_a_one_line_reason(string because, string body, string expected)
    {
        var error = Assert.Throws<BadReviewException>(() => AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body))));

        Assert.True(error.Message.Contains(expected, StringComparison.Ordinal), $"{because}: {error.Message}");
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void Thousands_of_mutated_reviews_are_each_read_or_refused_cleanly()
    {
        var fixtures = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures", "apiserver"), "*.json")
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var random = new Random(1127);
        var (read, refused) = (0, 0);
        for (var i = 0; i < 3_000; i++)
        {
            var mutated = Mutate(fixtures[random.Next(fixtures.Count)], random);
            try
            {
                AdmissionReviewReader.Read(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(mutated)));
                read++;
            }
            catch (BadReviewException)
            {
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} threw {e.GetType().Name} instead of a BadReviewException: {e.Message}\n---\n{mutated}");
            }
        }

        Assert.True(read > 100 && refused > 100, $"mutations should both keep and break reviews: read {read}, refused {refused}");
    }

    /// <summary>Swaps JSON values for values of other types, and damages the syntax now and then.</summary>
    private static string Mutate(string json, Random random)
    {
        string[] values = ["null", "true", "0", "-1", "70000", "99999999999999999999", "\"\"", "\"x\"", "[]", "{}", "[null]", "{\"a\":[]}", "1.5e309"];
        var text = new StringBuilder(json);
        for (var edits = random.Next(1, 4); edits > 0; edits--)
        {
            var colons = Enumerable.Range(0, text.Length).Where(i => text[i] == ':').ToList();
            var at = colons[random.Next(colons.Count)] + 1;
            var end = ValueEnd(text, at);
            if (random.Next(10) == 0)
            {
                text.Remove(at, Math.Min(random.Next(1, 5), text.Length - at));
            }
            else
            {
                text.Remove(at, end - at).Insert(at, " " + values[random.Next(values.Length)]);
            }
        }

        return text.ToString();
    }

    private static int ValueEnd(StringBuilder text, int start)
    {
        var (depth, quoted) = (0, false);
        for (var i = start; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c is '{' or '[')
            {
                depth++;
            }
            else if (c is '}' or ']' && depth-- == 0 || c == ',' && depth == 0)
            {
                return i;
            }
        }

        return text.Length;
    }
}
