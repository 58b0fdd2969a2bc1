using System.Reflection;

namespace NovaMm.Driver.Tests.Architecture;

/// <summary>The dependency rule of docs/architecture.md: Spec references nothing of ours; Hardware and Driver only Spec.</summary>
public class DependencyRuleTests
{
    private static string[] OurReferences(Assembly a) =>
        a.GetReferencedAssemblies().Select(n => n.Name!).Where(n => n.StartsWith("NovaMm", StringComparison.Ordinal)).Order().ToArray();

    [Fact]
    public void Driver_references_only_spec()
    {
        Assert.Equal(["NovaMm.Spec"], OurReferences(typeof(Gpu).Assembly));
    }

    [Fact]
    public void Hardware_references_only_spec()
    {
        Assert.Equal(["NovaMm.Spec"], OurReferences(typeof(Hardware.SimulatedGpu).Assembly));
    }

    [Fact]
    public void Spec_references_nothing_of_ours()
    {
        Assert.Empty(OurReferences(typeof(Spec.Chips.ChipCatalog).Assembly));
    }

    [Fact]
    public void Project_files_agree()
    {
        var root = FindRoot();
        var driver = File.ReadAllText(Path.Combine(root, "src/NovaMm.Driver/NovaMm.Driver.csproj"));
        Assert.DoesNotContain("NovaMm.Hardware", driver, StringComparison.Ordinal);
        var spec = File.ReadAllText(Path.Combine(root, "src/NovaMm.Spec/NovaMm.Spec.csproj"));
        Assert.DoesNotContain("ProjectReference", spec, StringComparison.Ordinal);
    }

    private static string FindRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NovaMm.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("NovaMm.sln not found above " + AppContext.BaseDirectory);
    }
}
