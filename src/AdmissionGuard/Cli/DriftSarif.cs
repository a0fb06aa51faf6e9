using System.Reflection;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using AdmissionGuard.Core;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AdmissionGuard.Cli;

/// <summary>
/// The drift report as SARIF 2.1.0, for CI systems that annotate pull requests: one rule per drift
/// type, one result per drifted policy, located at its manifest in Git (path relative to the
/// repository root, line of its YAML document) when Git declares it.
/// </summary>
public static class DriftSarif
{
    public const string Schema = "https://json.schemastore.org/sarif-2.1.0.json";

    private static readonly (DriftType Type, string Id, string Name, string Short, string Help)[] Rules =
    [
        (DriftType.Modified, "drift/modified", "ModifiedNetworkPolicy", "A NetworkPolicy in the cluster differs from Git",
            "Someone changed the policy outside Git. Let the GitOps sync restore Git's version, or change the file in Git if the live version is right."),
        (DriftType.Missing, "drift/missing", "MissingNetworkPolicy", "A NetworkPolicy declared in Git is not in the cluster",
            "The GitOps sync has not created it, or someone deleted it. Check the sync of this file."),
        (DriftType.Unmanaged, "drift/unmanaged", "UnmanagedNetworkPolicy", "A NetworkPolicy in a governed namespace is not declared in Git",
            "Add it to Git, or delete it from the cluster."),
    ];

    /// <param name="baseline">The baseline the report was made from: which document of its file declares each policy.</param>
    /// <param name="files">Manifest text by path in the repository, to find the line of each policy's document.</param>
    /// <param name="repository">The repository as configured (URL or local path); credentials are dropped.</param>
    public static string Serialize(DriftReport report, Baseline baseline, IReadOnlyDictionary<string, string> files, string repository)
    {
        var rules = new JsonArray([.. Rules.Select(r => (JsonNode)new JsonObject
        {
            ["id"] = r.Id,
            ["name"] = r.Name,
            ["shortDescription"] = new JsonObject { ["text"] = r.Short },
            ["help"] = new JsonObject { ["text"] = r.Help },
            ["defaultConfiguration"] = new JsonObject { ["level"] = "error" },
        })]);
        var results = new JsonArray();
        foreach (var item in report.Items)
        {
            var rule = Array.FindIndex(Rules, r => r.Type == item.Type);
            var location = new JsonObject
            {
                ["logicalLocations"] = new JsonArray(new JsonObject { ["fullyQualifiedName"] = item.Id.ToString(), ["kind"] = "resource" }),
            };
            if (item.GitPath is { } path)
            {
                var physical = new JsonObject
                {
                    ["artifactLocation"] = new JsonObject { ["uri"] = path, ["uriBaseId"] = "%SRCROOT%" },
                };
                if (files.TryGetValue(path, out var text) && baseline.Find(item.Id) is { } entry)
                {
                    // A rendered policy's document index is its place in the render: in its own file it is found by name.
                    var index = entry.Via is null ? entry.DocumentIndex : DocumentDeclaring(text, item.Name);
                    physical["region"] = new JsonObject { ["startLine"] = StartLine(text, index) };
                }

                location["physicalLocation"] = physical;
            }

            var provenance = item.Provenance is { } known ? $" ({known})" : "";
            var properties = new JsonObject
            {
                ["namespace"] = item.Namespace,
                ["name"] = item.Name,
                ["driftType"] = DriftJson.TypeName(item.Type),
                ["differences"] = new JsonArray([.. item.Differences.Select(d => (JsonNode)JsonValue.Create(d))]),
            };
            if (DriftJson.LastChangeOf(item.LastChange) is { } change)
            {
                properties["lastChange"] = new JsonObject { ["manager"] = change.Manager, ["operation"] = change.Operation, ["time"] = change.Time };
            }

            if (DriftJson.BreakGlassOf(item.BreakGlass) is { } breakGlass)
            {
                properties["breakGlass"] = new JsonObject { ["reason"] = breakGlass.Reason, ["expires"] = breakGlass.Expires, ["expired"] = breakGlass.Expired };
            }

            results.Add(new JsonObject
            {
                ["ruleId"] = Rules[rule].Id,
                ["ruleIndex"] = rule,
                ["level"] = "error",
                ["message"] = new JsonObject { ["text"] = $"{item.Describe()}{provenance}. {Rules[rule].Help}" },
                ["locations"] = new JsonArray(location),
                ["partialFingerprints"] = new JsonObject { ["admissionguardDrift/v1"] = $"{DriftJson.TypeName(item.Type)}:{item.Id}" },
                ["properties"] = properties,
            });
        }

        var run = new JsonObject
        {
            ["tool"] = new JsonObject
            {
                ["driver"] = new JsonObject
                {
                    ["name"] = "AdmissionGuard",
                    ["semanticVersion"] = Version(),
                    ["rules"] = rules,
                },
            },
            ["invocations"] = new JsonArray(new JsonObject
            {
                ["executionSuccessful"] = true,
                ["endTimeUtc"] = report.ScannedAt.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ"),
            }),
            ["versionControlProvenance"] = new JsonArray(new JsonObject
            {
                ["repositoryUri"] = RepositoryUri(repository),
                ["revisionId"] = report.Commit,
                ["branch"] = report.Ref,
            }),
            ["originalUriBaseIds"] = new JsonObject
            {
                ["%SRCROOT%"] = new JsonObject { ["description"] = new JsonObject { ["text"] = "The root of the GitOps repository." } },
            },
            ["results"] = results,
        };
        var document = new JsonObject
        {
            ["$schema"] = Schema,
            ["version"] = "2.1.0",
            ["runs"] = new JsonArray(run),
        };
        return document.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }

    /// <summary>The line (from 1) where YAML document <paramref name="index"/> begins: after its <c>---</c>, if it has one.</summary>
    public static int StartLine(string text, int index)
    {
        try
        {
            var parser = new Parser(new StringReader(text));
            var seen = -1;
            while (parser.MoveNext())
            {
                if (parser.Current is DocumentStart start && ++seen == index)
                {
                    return (int)Math.Max(1, start.IsImplicit ? start.Start.Line : start.Start.Line + 1);
                }
            }
        }
        catch (YamlException)
        {
            // The baseline read this file, so this does not happen; the top of the file is still a fair answer.
        }

        return 1;
    }

    /// <summary>
    /// The document of a base or component file that declares a rendered policy: the NetworkPolicy of that name, else the
    /// one whose name the rendered name contains (a name prefix or suffix was added), else the first.
    /// </summary>
    public static int DocumentDeclaring(string text, string renderedName)
    {
        var names = new List<string?>();
        try
        {
            var parser = new Parser(new StringReader(text));
            var depth = 0;
            string? kind = null, name = null;
            var inMetadata = false;
            string? key = null;
            while (parser.MoveNext())
            {
                switch (parser.Current)
                {
                    case DocumentStart:
                        (depth, kind, name, inMetadata, key) = (0, null, null, false, null);
                        break;
                    case DocumentEnd:
                        names.Add(kind == "NetworkPolicy" ? name ?? "" : null);
                        break;
                    case MappingStart or SequenceStart:
                        depth++;
                        inMetadata = depth == 2 && key == "metadata";
                        key = null;
                        break;
                    case MappingEnd or SequenceEnd:
                        depth--;
                        inMetadata &= depth >= 2;
                        key = null;
                        break;
                    case Scalar scalar when key is null && (depth == 1 || (depth == 2 && inMetadata)):
                        key = scalar.Value;
                        break;
                    case Scalar scalar:
                        (kind, name) = (depth == 1 && key == "kind" ? scalar.Value : kind, inMetadata && key == "name" ? scalar.Value : name);
                        key = null;
                        break;
                }
            }
        }
        catch (YamlException)
        {
            return 0;
        }

        var exact = names.IndexOf(renderedName);
        return exact >= 0 ? exact : Math.Max(0, names.FindIndex(n => n is { Length: > 0 } && renderedName.Contains(n, StringComparison.Ordinal)));
    }

    private static string RepositoryUri(string repository)
    {
        if (Uri.TryCreate(repository, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" or "git" or "ssh" or "file")
        {
            return new UriBuilder(uri) { UserName = "", Password = "" }.Uri.AbsoluteUri;
        }

        return new Uri(Path.GetFullPath(repository)).AbsoluteUri;
    }

    private static string Version()
    {
        var version = typeof(DriftSarif).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0.0.0";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? version : version[..plus];
    }
}
