using System.Text.Json;
using System.Text.RegularExpressions;
using AdmissionGuard.Tests.Support;

namespace AdmissionGuard.Tests.Deploy;

/// <summary>
/// The image ships kustomize for rendered Git sources: pinned by version and digest, on the final image's PATH,
/// executable by the non-root user, and the same version as docs/installing.md states. Read from the Dockerfile as
/// text (no Docker engine needed).
/// </summary>
public sealed partial class DockerfileTests
{
    /// <summary>
    /// The PATH every Linux stage starts with when its base sets none (BuildKit and Buildah give it to images built
    /// from scratch; the chiseled .NET images are built from scratch and set no PATH).
    /// </summary>
    private const string DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    /// <summary>Where the official image keeps the binary (kustomize.Dockerfile in kubernetes-sigs/kustomize).</summary>
    private const string BinaryInOfficialImage = "/app/kustomize";

    private static readonly Lazy<IReadOnlyList<Stage>> Stages = new(() => Parse(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "Dockerfile"))));

    [Fact]
    public void Kustomize_comes_from_a_build_stage_of_the_official_image_pinned_by_v5_version_and_digest()
    {
        var stage = KustomizeStage();

        Assert.Matches(PinnedKustomize(), stage.Image);
        Assert.False(string.IsNullOrEmpty(stage.Name), $"FROM {stage.Image} has no AS name for the final stage to copy from");
        Assert.NotSame(Stages.Value[^1], stage);
    }

    [Fact]
    public void The_final_stage_copies_the_binary_from_that_stage_to_a_folder_on_its_PATH_named_kustomize()
    {
        var copy = KustomizeCopy();
        var final = Stages.Value[^1];

        Assert.Equal([BinaryInOfficialImage], copy.Sources);
        var target = copy.Destination.EndsWith('/') ? copy.Destination + "kustomize" : copy.Destination;
        Assert.Equal("kustomize", target[(target.LastIndexOf('/') + 1)..]);
        var folder = target[..target.LastIndexOf('/')];
        var path = PathOf(final);
        Assert.True(path.Split(':').Contains(folder, StringComparer.Ordinal), $"{folder} is not on the final image's PATH {path}");
    }

    [Fact]
    public void The_copied_binary_is_executable_by_the_non_root_user_through_COPY_chmod()
    {
        var copy = KustomizeCopy();
        var final = Stages.Value[^1];

        // The mode is set by the COPY, not inherited from the binary's own mode in the official image.
        Assert.True(copy.Flags.TryGetValue("chmod", out var chmod), "COPY of kustomize has no --chmod");
        var mode = Convert.ToInt32(chmod, 8);
        Assert.True((mode & 0b101) == 0b101, $"--chmod={chmod} does not let other users read and execute the binary");

        var user = final.Instructions.Last(i => i.Keyword == "USER").Arguments.Trim();
        Assert.DoesNotContain(user.Split(':')[0], new[] { "0", "root" });
    }

    [Fact]
    public void The_documented_kustomize_image_is_the_one_the_Dockerfile_pins()
    {
        var pinned = PinnedKustomize().Match(KustomizeStage().Image);
        Assert.True(pinned.Success, $"FROM {KustomizeStage().Image} is not pinned by version and digest");
        var (version, digest) = (pinned.Groups["version"].Value, pinned.Groups["digest"].Value);

        var section = Section(File.ReadAllText(Path.Combine(RepositoryRoot.Path, "docs", "installing.md")), "kustomize in the image");

        Assert.Contains($"**{version}**", section, StringComparison.Ordinal);
        Assert.Contains(pinned.Value, section, StringComparison.Ordinal);
        // Every tag and digest the section names (the commands that read a digest too) is the pinned one.
        Assert.All(DocumentedTag().Matches(section), m => Assert.Equal(version, m.Groups["version"].Value));
        Assert.All(Digest().Matches(section), m => Assert.Equal(digest, m.Value));
    }

    [Fact]
    public void The_parser_reads_continuations_flags_and_ENV_PATH()
    {
        var stages = Parse("""
            FROM a AS one
            FROM b
            # a comment \
            ENV X=1 \
                PATH=/opt/bin:$PATH
            COPY --from=one --chmod=0755 \
                 /app/kustomize /opt/bin/
            ENV PATH /first:${PATH}
            """);

        Assert.Equal(["one", ""], stages.Select(s => s.Name));
        var copy = Assert.Single(stages[1].Instructions, i => i.Keyword == "COPY");
        var parsed = CopyOf(copy);
        Assert.Equal("one", parsed.Flags["from"]);
        Assert.Equal("0755", parsed.Flags["chmod"]);
        Assert.Equal(["/app/kustomize"], parsed.Sources);
        Assert.Equal("/opt/bin/", parsed.Destination);
        Assert.Equal("/first:/opt/bin:" + DefaultPath, PathOf(stages[1]));
        Assert.Equal(DefaultPath, PathOf(stages[0]));
    }

    private static Stage KustomizeStage()
    {
        var stages = Stages.Value.Where(s => s.Image.StartsWith("registry.k8s.io/kustomize/kustomize", StringComparison.Ordinal)).ToList();
        return Assert.Single(stages);
    }

    private static Copy KustomizeCopy()
    {
        var name = KustomizeStage().Name;
        var copies = Stages.Value[^1].Instructions.Where(i => i.Keyword == "COPY").Select(CopyOf)
            .Where(c => c.Flags.TryGetValue("from", out var from) && string.Equals(from, name, StringComparison.OrdinalIgnoreCase))
            .ToList();
        return Assert.Single(copies);
    }

    /// <summary>The final PATH of a stage: its last <c>ENV PATH</c>, with <c>$PATH</c> expanded, else the default.</summary>
    private static string PathOf(Stage stage)
    {
        var path = DefaultPath;
        foreach (var env in stage.Instructions.Where(i => i.Keyword == "ENV"))
        {
            foreach (var (key, value) in EnvPairs(env.Arguments))
            {
                if (key == "PATH")
                {
                    path = value.Replace("${PATH}", path, StringComparison.Ordinal).Replace("$PATH", path, StringComparison.Ordinal);
                }
            }
        }

        return path;
    }

    private static IEnumerable<(string Key, string Value)> EnvPairs(string arguments)
    {
        var words = Words(arguments);
        if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
        {
            // The legacy form: ENV KEY value with spaces.
            var rest = arguments.Trim()[words[0].Length..].Trim();
            yield return (words[0], rest.Trim('"'));
            yield break;
        }

        foreach (var word in words)
        {
            var equals = word.IndexOf('=', StringComparison.Ordinal);
            yield return (word[..equals], word[(equals + 1)..]);
        }
    }

    private static Copy CopyOf(Instruction copy)
    {
        var words = Words(copy.Arguments);
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        var index = 0;
        for (; index < words.Count && words[index].StartsWith("--", StringComparison.Ordinal); index++)
        {
            var flag = words[index][2..];
            var equals = flag.IndexOf('=', StringComparison.Ordinal);
            flags[equals < 0 ? flag : flag[..equals]] = equals < 0 ? "" : flag[(equals + 1)..];
        }

        var rest = string.Join(' ', words.Skip(index));
        var paths = rest.StartsWith('[') ? JsonSerializer.Deserialize<List<string>>(rest) ?? [] : words.Skip(index).ToList();
        Assert.True(paths.Count >= 2, $"COPY {copy.Arguments} has no source and destination");
        return new Copy(flags, paths[..^1], paths[^1]);
    }

    /// <summary>Words separated by spaces; double quotes group and are removed.</summary>
    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var word = new System.Text.StringBuilder();
        var quoted = false;
        var any = false;
        foreach (var c in text)
        {
            if (c == '"')
            {
                quoted = !quoted;
                any = true;
            }
            else if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    any = false;
                }
            }
            else
            {
                word.Append(c);
                any = true;
            }
        }

        if (any)
        {
            words.Add(word.ToString());
        }

        return words;
    }

    /// <summary>Stages in order; instructions with their continuation lines joined and comment lines dropped.</summary>
    private static List<Stage> Parse(string dockerfile)
    {
        var stages = new List<Stage>();
        var pending = "";
        foreach (var raw in dockerfile.ReplaceLineEndings("\n").Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith('#') || line.Length == 0)
            {
                continue;
            }

            if (line.EndsWith('\\'))
            {
                pending += line[..^1] + " ";
                continue;
            }

            var text = (pending + line).Trim();
            pending = "";
            if (text.Length == 0)
            {
                continue;
            }

            var space = text.IndexOfAny([' ', '\t']);
            var keyword = (space < 0 ? text : text[..space]).ToUpperInvariant();
            var arguments = space < 0 ? "" : text[(space + 1)..].Trim();
            if (keyword == "FROM")
            {
                var words = Words(arguments).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                var name = words.Count >= 3 && string.Equals(words[1], "AS", StringComparison.OrdinalIgnoreCase) ? words[2] : "";
                stages.Add(new Stage(words[0], name, []));
            }
            else if (stages.Count > 0)
            {
                stages[^1].Instructions.Add(new Instruction(keyword, arguments));
            }
        }

        return stages;
    }

    /// <summary>The part of a Markdown document under the heading, up to the next heading (outside code fences).</summary>
    private static string Section(string markdown, string heading)
    {
        var lines = markdown.ReplaceLineEndings("\n").Split('\n');
        var start = Array.FindIndex(lines, l => l.StartsWith('#') && string.Equals(l.TrimStart('#').Trim(), heading, StringComparison.OrdinalIgnoreCase));
        Assert.True(start >= 0, $"docs/installing.md has no section \"{heading}\"");
        var section = new List<string>();
        var fenced = false;
        foreach (var line in lines.Skip(start + 1))
        {
            if (line.StartsWith("```", StringComparison.Ordinal))
            {
                fenced = !fenced;
            }
            else if (!fenced && line.StartsWith('#'))
            {
                break;
            }

            section.Add(line);
        }

        return string.Join('\n', section);
    }

    [GeneratedRegex(@"^registry\.k8s\.io/kustomize/kustomize:(?<version>v5\.\d+\.\d+)@(?<digest>sha256:[0-9a-f]{64})$")]
    private static partial Regex PinnedKustomize();

    [GeneratedRegex(@"registry\.k8s\.io/kustomize/kustomize:(?<version>[^\s@`]+)")]
    private static partial Regex DocumentedTag();

    [GeneratedRegex(@"sha256:[0-9a-f]+")]
    private static partial Regex Digest();

    private sealed record Stage(string Image, string Name, List<Instruction> Instructions);

    private sealed record Instruction(string Keyword, string Arguments);

    private sealed record Copy(Dictionary<string, string> Flags, List<string> Sources, string Destination);
}
