using System.Globalization;
using System.Text;

namespace AdmissionGuard.Benchmarks;

/// <summary>
/// A synthetic GitOps repository of Kustomize roots, one per team, as <c>bench/render-startup.sh</c> reads it:
/// <c>apps/team-NNN/base</c> holds the team's policies (those of <see cref="Fixtures.Declared"/>, without a
/// namespace) in several files, and <c>apps/team-NNN/overlays/prod</c> sets the namespace, builds the base and
/// adds a shared component (labels that leave selectors alone, an annotation). The rendered policies are the
/// ones <see cref="Fixtures.Review"/> describes, so its reviews apply unchanged.
/// </summary>
public static class RenderedFixtures
{
    /// <summary>Policies per root: <see cref="Fixtures.Namespace"/> puts 100 in each namespace.</summary>
    public const int PerRoot = 100;

    /// <summary>Documents per base file.</summary>
    public const int PerFile = 20;

    /// <summary>The overlay of root <paramref name="root"/>: what a source's <c>Path</c> names.</summary>
    public static string Overlay(int root) => $"apps/{Fixtures.Namespace(root * PerRoot)}/overlays/prod";

    /// <summary>Writes the repository (branch main, one commit, packed) with <paramref name="roots"/> roots of <see cref="PerRoot"/> policies.</summary>
    public static string WriteRepository(string directory, int roots)
    {
        Directory.CreateDirectory(directory);
        Write(directory, "components/prod-defaults/kustomization.yaml", """
            apiVersion: kustomize.config.k8s.io/v1alpha1
            kind: Component
            labels:
            - pairs:
                environment: prod
              includeSelectors: false
            commonAnnotations:
              policy.example.com/owner: platform-team

            """);
        for (var root = 0; root < roots; root++)
        {
            var team = Fixtures.Namespace(root * PerRoot);
            var files = new List<string>();
            for (var first = root * PerRoot; first < (root + 1) * PerRoot; first += PerFile)
            {
                var name = $"policies-{(first % PerRoot) / PerFile:D2}.yaml";
                files.Add(name);
                var text = new StringBuilder();
                for (var i = first; i < first + PerFile; i++)
                {
                    text.Append("---\n# ").Append(Fixtures.Name(i)).Append('\n');
                    var policy = Fixtures.Declared(i);
                    policy["metadata"]!.AsObject().Remove("namespace");
                    text.Append(Fixtures.Yaml(policy));
                    if (i % 20 == 0)
                    {
                        text.Append("---\napiVersion: v1\nkind: Service\nmetadata:\n  name: ").Append(Fixtures.Name(i))
                            .Append("\nspec:\n  selector:\n    app: ").Append(Fixtures.Name(i))
                            .Append("\n  ports:\n  - port: 8080\n    targetPort: http\n");
                    }
                }

                Write(directory, $"apps/{team}/base/{name}", text.ToString());
            }

            Write(directory, $"apps/{team}/base/kustomization.yaml", string.Create(CultureInfo.InvariantCulture, $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                resources:
                {string.Concat(files.Select(f => $"- {f}\n"))}
                """));
            Write(directory, $"{Overlay(root)}/kustomization.yaml", $"""
                apiVersion: kustomize.config.k8s.io/v1beta1
                kind: Kustomization
                namespace: {team}
                resources:
                - ../../base
                components:
                - ../../../../components/prod-defaults

                """);
        }

        Write(directory, "README.md", $"Synthetic GitOps repository: {roots} Kustomize roots of {PerRoot} NetworkPolicies.\n");
        Fixtures.CommitAndPack(directory, $"{roots} Kustomize roots of {PerRoot} policies");
        return directory;
    }

    private static void Write(string directory, string path, string text)
    {
        var full = Path.Combine(directory, path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        File.WriteAllText(full, text);
    }
}
