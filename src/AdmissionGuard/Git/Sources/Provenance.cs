namespace AdmissionGuard.Git.Sources;

/// <summary>
/// Which file of a kustomize build declares a rendered NetworkPolicy, without kustomize's origin annotations: the
/// build's resource files are indexed by the names of the policies they declare, and a rendered name is taken back
/// to those names by removing the build's name prefixes and suffixes. A name that leads to no file, or to more than
/// one, is not answered: the caller then renders with origin annotations.
/// </summary>
internal sealed class Provenance(RepositoryCheckout checkout, IReadOnlyList<string> files, IReadOnlySet<string> prefixes, IReadOnlySet<string> suffixes)
{
    private Dictionary<string, HashSet<string>>? _declaringFiles;

    /// <summary>The repository path of the one resource file whose policy renders as <paramref name="renderedName"/>, or null.</summary>
    public string? FileOf(string renderedName)
    {
        var index = _declaringFiles ??= Index();
        string? found = null;
        foreach (var name in Unaffixed(renderedName, prefixes.Count + suffixes.Count))
        {
            if (!index.TryGetValue(name, out var declaring))
            {
                continue;
            }

            foreach (var file in declaring)
            {
                if (found is not null && found != file)
                {
                    return null;
                }

                found = file;
            }
        }

        return found;
    }

    /// <summary>The name itself and every name it is made from by adding the build's prefixes in front and suffixes behind.</summary>
    private IEnumerable<string> Unaffixed(string name, int depth)
    {
        yield return name;
        if (depth == 0)
        {
            yield break;
        }

        foreach (var prefix in prefixes.Where(p => name.Length > p.Length && name.StartsWith(p, StringComparison.Ordinal)))
        {
            foreach (var inner in Unaffixed(name[prefix.Length..], depth - 1))
            {
                yield return inner;
            }
        }

        foreach (var suffix in suffixes.Where(s => name.Length > s.Length && name.EndsWith(s, StringComparison.Ordinal)))
        {
            foreach (var inner in Unaffixed(name[..^suffix.Length], depth - 1))
            {
                yield return inner;
            }
        }
    }

    /// <summary>Policy name → the resource files declaring a policy of that name. A file that does not parse declares nothing here (kustomize judges it).</summary>
    private Dictionary<string, HashSet<string>> Index()
    {
        var index = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            foreach (var name in PolicyNames(File.ReadAllText(checkout.Full(file))))
            {
                if (!index.TryGetValue(name, out var declaring))
                {
                    index[name] = declaring = new HashSet<string>(StringComparer.Ordinal);
                }

                declaring.Add(file);
            }
        }

        return index;
    }

    private static List<string> PolicyNames(string text)
    {
        var names = new List<string>();
        YamlNodes nodes;
        try
        {
            nodes = YamlNodes.Parse(text, []);
        }
        catch (Exception e) when (ManifestReader.IsYamlFailure(e))
        {
            return names;
        }

        foreach (var document in nodes.Documents.Select(nodes.Resolve))
        {
            if (nodes[document] is not YamlDotNet.Core.Events.MappingStart)
            {
                continue;
            }

            var kind = nodes.ScalarValue(document, "kind");
            if (kind == Core.Policy.PolicyReader.Kind)
            {
                AddName(nodes, document, names);
            }
            else if (ManifestReader.IsListKind(kind) && nodes.Value(document, "items") is >= 0 and var items
                && nodes[nodes.Resolve(items)] is YamlDotNet.Core.Events.SequenceStart)
            {
                foreach (var item in nodes.Items(nodes.Resolve(items)).Select(nodes.Resolve))
                {
                    if (nodes[item] is YamlDotNet.Core.Events.MappingStart && nodes.ScalarValue(item, "kind") == Core.Policy.PolicyReader.Kind)
                    {
                        AddName(nodes, item, names);
                    }
                }
            }
        }

        return names;
    }

    private static void AddName(YamlNodes nodes, int policy, List<string> names)
    {
        var metadata = nodes.Value(policy, "metadata");
        if (metadata >= 0 && nodes[nodes.Resolve(metadata)] is YamlDotNet.Core.Events.MappingStart
            && nodes.ScalarValue(nodes.Resolve(metadata), "name") is { Length: > 0 } name)
        {
            names.Add(name);
        }
    }
}
