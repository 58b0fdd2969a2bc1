using System.CommandLine;
using System.Text.Json.Nodes;
using NovaMm.Cli.Commands;
using NovaMm.Driver;
using Spectre.Console;

namespace NovaMm.Cli.Shell;

/// <summary><c>novamm shell</c>: a session on a simulated GPU from a script, standard input, or a prompt (docs/shell.md).</summary>
internal static class ShellCommand
{
    public static Command Create()
    {
        var chip = CommonOptions.Chip();
        var vram = CommonOptions.Vram();
        var bar1 = CommonOptions.Bar1();
        var json = new Option<bool>("--json") { Description = "one JSON object per command (JSON Lines)" };
        var script = new Argument<string?>("SCRIPT") { Description = "script file, or - for standard input; omitted: interactive prompt (or standard input when it is not a terminal)", Arity = ArgumentArity.ZeroOrOne };
        var cmd = new Command("shell", "Drive a simulated GPU through the driver: allocate, map, translate, walk, read/write PRAMIN and BAR1") { chip, vram, bar1, json, script };
        cmd.SetAction(r =>
        {
            var path = r.GetValue(script);
            var asJson = r.GetValue(json);
            var interactive = path is null && !Console.IsInputRedirected;
            string name;
            string[]? lines = null;
            if (path is null or "-")
            {
                name = "-";
                if (!interactive)
                {
                    lines = ReadAll(Console.In);
                }
            }
            else
            {
                name = path;
                if (!File.Exists(path))
                {
                    throw new CliError($"script '{path}' not found");
                }

                lines = File.ReadAllLines(path);
            }

            // The script is checked for syntax before the GPU is even built.
            List<ShellLine>? parsed = null;
            if (lines is not null)
            {
                try
                {
                    parsed = ShellSession.ParseScript(name, lines);
                }
                catch (ScriptFailure f)
                {
                    return Fail(name, f.Line, f.Command, f.Detail, asJson);
                }
            }

            var (hw, gpu) = Devices.Boot(r.GetValue(chip), r.GetValue(vram), r.GetValue(bar1));
            var session = new ShellSession(hw, gpu);
            return parsed is not null ? RunScript(session, name, parsed, asJson) : RunPrompt(session, asJson);
        });
        return cmd;
    }

    private static int RunScript(ShellSession session, string name, List<ShellLine> lines, bool asJson)
    {
        try
        {
            session.Run(name, lines, (l, result) => Print(l, result, asJson));
            return 0;
        }
        catch (ScriptFailure f)
        {
            return Fail(name, f.Line, f.Command, f.Detail, asJson);
        }
    }

    private static int RunPrompt(ShellSession session, bool asJson)
    {
        var output = AnsiConsole.Console.Profile.Out.Writer;
        output.WriteLine($"novamm shell on a simulated {session.Gpu.Chip.Name} ({session.Gpu.StaticInfo.GpuName}); 'help' lists commands, 'exit' or Ctrl-D ends.");
        var number = 0;
        while (true)
        {
            output.Write("novamm> ");
            output.Flush();
            var text = Console.ReadLine();
            number++;
            if (text is null || text.Trim() is "exit" or "quit")
            {
                return 0;
            }

            try
            {
                if (ShellSyntax.Parse(text, number) is { } l)
                {
                    Print(l, session.Execute(l), asJson);
                }
            }
            catch (Exception e) when (ShellSession.IsCommandError(e))
            {
                if (asJson)
                {
                    output.WriteLine(new JsonObject { ["cmd"] = FirstWord(text), ["line"] = number, ["error"] = Devices.FirstLine(e.Message) }.ToJsonString(Output.Json.Compact));
                }
                else
                {
                    output.WriteLine($"error: {Devices.FirstLine(e.Message)}");
                }
            }
        }
    }

    private static void Print(ShellLine l, ShellOutput result, bool asJson)
    {
        var output = AnsiConsole.Console.Profile.Out.Writer;
        if (asJson)
        {
            var obj = new JsonObject { ["cmd"] = l.Name, ["line"] = l.Line };
            foreach (var (key, value) in result.Json.ToArray())
            {
                result.Json.Remove(key);
                obj[key] = value;
            }

            output.WriteLine(obj.ToJsonString(Output.Json.Compact));
        }
        else if (result.Render is { } render)
        {
            render();
        }
        else
        {
            output.WriteLine(result.Human);
        }
    }

    private static int Fail(string script, int line, string cmd, string message, bool asJson)
    {
        if (asJson)
        {
            AnsiConsole.Console.Profile.Out.Writer.WriteLine(new JsonObject { ["cmd"] = cmd, ["line"] = line, ["error"] = message }.ToJsonString(Output.Json.Compact));
        }

        throw new ScriptFailure(script, line, cmd, message);
    }

    internal static string FirstWord(string text) => text.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() ?? "";

    private static string[] ReadAll(TextReader reader)
    {
        var lines = new List<string>();
        while (reader.ReadLine() is { } line)
        {
            lines.Add(line);
        }

        return [.. lines];
    }
}

/// <summary>A script stopped at a failing line; the message is <c>SCRIPT:LINE: message</c>.</summary>
/// <param name="script">The script's name (<c>-</c> for standard input).</param>
/// <param name="line">The failing line.</param>
/// <param name="command">The line's command word.</param>
/// <param name="detail">What went wrong.</param>
internal sealed class ScriptFailure(string script, int line, string command, string detail) : Exception($"{script}:{line}: {detail}")
{
    public int Line { get; } = line;

    public string Command { get; } = command;

    public string Detail { get; } = detail;
}
