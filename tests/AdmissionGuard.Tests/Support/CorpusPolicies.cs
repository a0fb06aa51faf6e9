using AdmissionGuard.Git;

namespace AdmissionGuard.Tests.Support;

/// <summary>
/// Every NetworkPolicy of ../shared/corpus (real-world manifests, see its SOURCES.md), read as Git manifests;
/// a skip when the folder is absent (a test using it must be a <c>[SkippableFact]</c>).
/// </summary>
internal static class CorpusPolicies
{
    public static IReadOnlyList<DeclaredPolicy> Read(string defaultNamespace)
    {
        var corpus = Prerequisite.SharedFolder("corpus");
        var policies = Directory.EnumerateFiles(corpus, "*.yaml", SearchOption.AllDirectories)
            .Order(StringComparer.Ordinal)
            .SelectMany(file => ManifestReader.Read(file, File.ReadAllText(file), new ManifestReadOptions(defaultNamespace) { KeepServedSpec = true }))
            .ToList();

        // SOURCES.md: 122 NetworkPolicy documents.
        Assert.True(policies.Count >= 122, $"{policies.Count} corpus policies");
        return policies;
    }
}
