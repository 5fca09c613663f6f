import java.util.*;
public class Main{public static void main(String[] x){Scanner in=new Scanner(System.in);long a=in.nextLong(),b=in.nextLong();System.out.println(a+b);}}
