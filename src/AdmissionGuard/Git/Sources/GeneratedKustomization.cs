namespace AdmissionGuard.Git.Sources;

/// <summary>
/// The kustomization Flux's kustomize-controller generates for a folder that has none: every YAML file below it,
/// and each subfolder holding a kustomization as one resource.
/// </summary>
internal static class GeneratedKustomization
{
    public static void Write(string folder)
    {
        var resources = new List<string>();
        Collect(folder, folder, resources);
        var lines = new List<string> { "apiVersion: kustomize.config.k8s.io/v1beta1", "kind: Kustomization", "resources:" };
        lines.AddRange(resources.Order(StringComparer.Ordinal).Select(r => $"- \"{r.Replace("\"", "\\\"", StringComparison.Ordinal)}\""));
        if (resources.Count == 0)
        {
            lines[^1] = "resources: []";
        }

        File.WriteAllText(Path.Combine(folder, "kustomization.yaml"), string.Join('\n', lines) + "\n");
    }

    private static void Collect(string root, string folder, List<string> resources)
    {
        foreach (var file in Directory.EnumerateFiles(folder).Where(f => f.EndsWith(".yaml", StringComparison.Ordinal) || f.EndsWith(".yml", StringComparison.Ordinal)))
        {
            resources.Add(Path.GetRelativePath(root, file).Replace(Path.DirectorySeparatorChar, '/'));
        }

        foreach (var child in Directory.EnumerateDirectories(folder))
        {
            if (KustomizationScan.FileIn(child) is not null)
            {
                resources.Add(Path.GetRelativePath(root, child).Replace(Path.DirectorySeparatorChar, '/'));
            }
            else
            {
                Collect(root, child, resources);
            }
        }
    }
}
