package org.mailseal.cli;

import org.mailseal.admin.ApiTokens;
import org.mailseal.store.Database;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "api-token", mixinStandardHelpOptions = true, description = "Tokens for the REST API (/api/v1): admin rights under their name.",
        subcommands = {ApiTokenCommand.Create.class, ApiTokenCommand.ListTokens.class, ApiTokenCommand.Revoke.class})
public final class ApiTokenCommand implements Runnable {

    @Override
    public void run() {
        new picocli.CommandLine(this).usage(System.out);
    }

    @Command(name = "create", mixinStandardHelpOptions = true, description = "Make a token and print it (the only time it is shown).")
    static final class Create extends StoreCommand {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "What it is for (shown in the audit log).")
        String name;

        @Override
        int run(Database d) throws Exception {
            System.out.println(new ApiTokens(d.dataSource()).create(name, "cli"));
            return 0;
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens: id, name, made by, when, revoked when.")
    static final class ListTokens extends StoreCommand {
        @Override
        int run(Database d) throws Exception {
            for (ApiTokens.Token t : new ApiTokens(d.dataSource()).list()) {
                System.out.println(t.id() + "  " + t.name() + "  by " + t.createdBy() + "  " + t.created() + (t.revoked() != null ? "  revoked " + t.revoked() : ""));
            }
            return 0;
        }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token (by its id, the part after ms_); at once.")
    static final class Revoke extends StoreCommand {
        @Parameters(paramLabel = "ID")
        String id;

        @Override
        int run(Database d) throws Exception {
            if (!new ApiTokens(d.dataSource()).revoke(id)) {
                System.err.println("mailseal: no live token " + id);
                return 1;
            }
            System.out.println("revoked " + id);
            return 0;
        }
    }
}
