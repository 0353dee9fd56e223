package org.mailseal.cli;

import java.util.concurrent.Callable;
import org.mailseal.demo.Demo;
import picocli.CommandLine.Command;

@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start mailseal on free loopback ports with an embedded cloud mailbox, send a message through, and show the result.")
public final class DemoCommand implements Callable<Integer> {
    @picocli.CommandLine.Option(names = "--smime", description = "Encrypt with S/MIME (a certificate from the built-in CA) instead of OpenPGP.")
    boolean smime;

    @Override
    public Integer call() throws Exception {
        return new Demo(System.out, smime).run();
    }
}
