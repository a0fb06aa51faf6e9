using System.Text;
using AdmissionGuard.Git;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Hostile;

/// <summary>
/// Malformed and adversarial manifests: each one is read or refused with a located
/// <see cref="ManifestException"/>, never another exception, a hang or a memory blow-up.
/// </summary>
public sealed class HostileManifestTests
{
    /// <summary>An alias bomb fully expanded would take gigabytes; refused in time, a hostile file costs far less than this.</summary>
    private const long MaxAllocation = 512L * 1024 * 1024;

    private const string Header = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: x, namespace: shop}\n";

    public static TheoryData<string, string, string> Adversarial() => new()
    {
        { "alias bomb", BillionLaughs(), "more than 100000 nodes" },
        { "deeply nested flow sequences", Header + "spec:\n  ingress: " + new string('[', 100_000), "nests deeper than" },
        { "deeply nested flow mappings", Header + "spec: " + string.Concat(Enumerable.Repeat("{a: ", 50_000)), "nests deeper than" },
        { "deeply nested block mappings", Header + "spec:\n" + string.Concat(Enumerable.Range(1, 2_000).Select(i => new string(' ', i) + "k:\n")), "nests deeper than" },
        { "file over 8 MiB", Header + "# " + new string('x', 9 * 1024 * 1024), "larger than 8 MiB" },
        { "undefined alias", Header + "spec: *nowhere\n", "document 0" },
        { "duplicate key", Header + "spec: {}\nspec: {}\n", "document 0" },
        { "unterminated quote", Header + "spec:\n  podSelector: {matchLabels: {app: \"web}}\n", "document 0" },
        { "tab indentation", Header + "spec:\n\tpodSelector: {}\n", "document 0" },
        { "spec is a string", Header + "spec: allow everything\n", "spec: must be a mapping" },
        { "ingress is a mapping", Header + "spec:\n  ingress: {from: []}\n", "spec.ingress: must be a list" },
        { "ports are numbers", Header + "spec:\n  ingress:\n  - ports: [80, 443]\n", "spec.ingress[0].ports[0]: must be a mapping" },
        { "label value is a number", Header + "spec:\n  podSelector: {matchLabels: {version: 2}}\n", "spec.podSelector.matchLabels.version: must be a string" },
        { "port is a boolean", Header + "spec:\n  ingress:\n  - ports: [{port: yes}]\n", "must be a port number or a port name" },
        { "complex mapping key", Header + "spec:\n  ? [a, b]\n  : c\n", "mapping keys must be plain strings" },
        { "name is a list", "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: [a]}\n", "metadata.name: must be a string" },
        { "second document broken", Header + "spec: {}\n---\n" + Header + "spec: [\n", "document 1" },
    };

    [Theory]
    [MemberData(nameof(Adversarial))]
    public async Task An_adversarial_manifest_is_refused_with_a_located_error(string because, string text, string expected)
    {
        var (error, allocated) = await Refused("policies/hostile.yaml", text).WaitAsync(TimeSpan.FromSeconds(60));

        Assert.NotNull(error);
        Assert.StartsWith("policies/hostile.yaml: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        Assert.True(allocated < MaxAllocation, $"{because}: allocated {allocated / 1024 / 1024} MiB");
    }

    [SkippableFact]
    public void Thousands_of_mutated_corpus_manifests_are_each_read_or_refused_cleanly()
    {
        var corpus = Directory.GetFiles(Prerequisite.SharedFolder("corpus"), "*.yaml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal).Select(File.ReadAllText).ToList();
        var random = new Random(20261127);
        var (read, refused) = (0, 0);
        for (var i = 0; i < 3_000; i++)
        {
            var mutated = Mutate(corpus[random.Next(corpus.Count)], random);
            try
            {
                ManifestReader.Read("mutated.yaml", mutated, "default");
                read++;
            }
            catch (ManifestException e)
            {
                Assert.StartsWith("mutated.yaml: ", e.Message, StringComparison.Ordinal);
                refused++;
            }
            catch (Exception e)
            {
                Assert.Fail($"mutation {i} threw {e.GetType().Name} instead of a ManifestException: {e.Message}\n---\n{mutated}");
            }
        }

        Assert.True(read > 100 && refused > 100, $"mutations should both keep and break documents: read {read}, refused {refused}");
    }

    /// <summary>Reads on a thread of its own, and counts what that thread allocated: the reading, not the test.</summary>
    private static Task<(ManifestException? Error, long Allocated)> Refused(string path, string text) => Task.Run(() =>
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            ManifestReader.Read(path, text, "default");
            return ((ManifestException?)null, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        catch (ManifestException e)
        {
            return (e, GC.GetAllocatedBytesForCurrentThread() - before);
        }
    });

    private static string BillionLaughs()
    {
        var yaml = new StringBuilder(Header);
        yaml.Append("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for (var i = 1; i < 10; i++)
        {
            yaml.Append(CultureInfo($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}]\n"));
        }

        yaml.Append("spec: {podSelector: {matchLabels: *a9}}\n");
        return yaml.ToString();

        static string CultureInfo(FormattableString text) => FormattableString.Invariant(text);
    }

    private static string Mutate(string text, Random random)
    {
        const string Specials = ":-[]{}&*!|>'\"#%@`,? \n\t0123456789~";
        var chars = new StringBuilder(text);
        for (var edits = random.Next(1, 6); edits > 0 && chars.Length > 0; edits--)
        {
            var at = random.Next(chars.Length);
            switch (random.Next(4))
            {
                case 0:
                    chars.Remove(at, Math.Min(random.Next(1, 8), chars.Length - at));
                    break;
                case 1:
                    chars.Insert(at, Specials[random.Next(Specials.Length)]);
                    break;
                case 2:
                    chars[at] = Specials[random.Next(Specials.Length)];
                    break;
                default:
                    var from = random.Next(chars.Length);
                    chars.Insert(at, chars.ToString(from, Math.Min(random.Next(1, 40), chars.Length - from)));
                    break;
            }
        }

        return chars.ToString();
    }
}
